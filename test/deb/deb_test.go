//go:build integration

package deb

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	testrepo "github.com/ocf-mfs/ocf-mfs/test/repo"
)

var repo = testrepo.Root()

func need(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is not installed (apt-get install dpkg-dev lintian)", p)
			}
			t.Skipf("%s is not installed (apt-get install dpkg-dev lintian)", p)
		}
	}
}

// buildDeb runs `make deb` as a user would and returns the one package it
// wrote. make deb itself fails when lintian reports an error or a warning.
func buildDeb(t *testing.T) string {
	t.Helper()
	old, _ := filepath.Glob(filepath.Join(repo, "dist/ocf-mfs_*.deb"))
	for _, f := range old {
		require.NoError(t, os.Remove(f))
	}
	out, err := exec.Command("make", "-C", repo, "deb").CombinedOutput()
	require.NoError(t, err, "make deb: %s", out)
	debs, err := filepath.Glob(filepath.Join(repo, "dist/ocf-mfs_*.deb"))
	require.NoError(t, err)
	require.Len(t, debs, 1, "one binary package")
	return debs[0]
}

func field(t *testing.T, deb, name string) string {
	t.Helper()
	out, err := exec.Command("dpkg-deb", "--field", deb, name).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// TestDebLintianClean: lintian, run on its own, finds nothing but what
// packaging/deb/lintian-overrides explains, and every override is used (an
// unused one would hide nothing and only rot).
func TestDebLintianClean(t *testing.T) {
	need(t, "dpkg-deb", "lintian", "git")
	deb := buildDeb(t)
	out, err := exec.Command("lintian", "--fail-on", "error,warning", "-I", deb).CombinedOutput()
	require.NoError(t, err, "lintian: %s", out)
	// With --show-overrides lintian counts overridden findings as failures,
	// so its exit code says nothing here: the lines do.
	out, _ = exec.Command("lintian", "-I", "--show-overrides", deb).CombinedOutput()
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "running with root") || l == "" || strings.HasPrefix(l, "N:") {
			continue
		}
		assert.Regexp(t, `^O: ocf-mfs: `, l, "every finding is an explained override")
	}
	assert.NotContains(t, string(out), "unused-override")
	assert.Contains(t, string(out), "O: ocf-mfs: statically-linked-binary", "the override file is installed and read")
}

// TestDebInstallsWhereDebianLooks installs the package with dpkg into a
// scratch root, as apt would on a user's machine, and checks each file, its
// mode and owner, and that the installed programs run.
func TestDebInstallsWhereDebianLooks(t *testing.T) {
	need(t, "dpkg-deb", "dpkg", "lintian", "git")
	if os.Getuid() != 0 {
		t.Skip("dpkg --root needs root")
	}
	deb := buildDeb(t)

	assert.Equal(t, "ocf-mfs", field(t, deb, "Package"))
	assert.Regexp(t, `^[0-9][A-Za-z0-9.+~]*-[0-9]+$`, field(t, deb, "Version"), "upstream version and Debian revision")
	// Static programs need no library: nothing may be in Depends, or the
	// package would not install where Pacemaker is not (yet) installed.
	assert.Empty(t, field(t, deb, "Depends"))
	assert.Equal(t, "pacemaker, drbd-utils", field(t, deb, "Recommends"))

	root := t.TempDir()
	admin := filepath.Join(root, "var/lib/dpkg")
	require.NoError(t, os.MkdirAll(filepath.Join(admin, "info"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(admin, "updates"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(admin, "status"), nil, 0o644))
	out, err := exec.Command("dpkg", "--root", root, "--log", "/dev/null", "--force-script-chrootless",
		"-i", deb).CombinedOutput()
	require.NoError(t, err, "dpkg -i: %s", out)

	got := map[string]string{}
	require.NoError(t, filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel := "/" + strings.TrimPrefix(p, root+"/")
		if p == root || strings.HasPrefix(rel, "/var/lib/dpkg") || strings.HasPrefix(rel, "/var/log") || fi.IsDir() {
			return nil
		}
		got[rel] = fi.Mode().String()
		return nil
	}))
	doc := "/usr/share/doc/ocf-mfs/"
	assert.Equal(t, map[string]string{
		"/usr/lib/ocf/resource.d/mfs/master":         "-rwxr-xr-x",
		"/usr/lib/ocf/resource.d/mfs/drbd":           "-rwxr-xr-x",
		"/usr/libexec/ocf-mfs/ocf-mfsmaster-actions": "-rwxr-xr-x",
		"/usr/sbin/drbd-splitbrain":                  "-rwxr-xr-x",
		"/usr/share/man/man7/ocf_mfs_master.7.gz":    "-rw-r--r--",
		"/usr/share/man/man7/ocf_mfs_drbd.7.gz":      "-rw-r--r--",
		"/usr/share/man/man8/drbd-splitbrain.8.gz":   "-rw-r--r--",
		doc + "copyright":                            "-rw-r--r--",
		doc + "changelog.Debian.gz":                  "-rw-r--r--",
		doc + "README.md":                            "-rw-r--r--",
		"/usr/share/lintian/overrides/ocf-mfs":       "-rw-r--r--",
	}, got)

	// Owned by root in the package, whoever built it.
	list, err := exec.Command("dpkg-deb", "--contents", deb).Output()
	require.NoError(t, err)
	owners := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		owners[strings.Fields(l)[1]] = true
	}
	assert.Equal(t, []string{"root/root"}, keys(owners))

	// dpkg knows the package as installed, with every file.
	st, err := exec.Command("dpkg", "--root", root, "-s", "ocf-mfs").Output()
	require.NoError(t, err)
	assert.Contains(t, string(st), "Status: install ok installed")
	files, err := exec.Command("dpkg", "--root", root, "-L", "ocf-mfs").Output()
	require.NoError(t, err)
	assert.Contains(t, string(files), "/usr/lib/ocf/resource.d/mfs/drbd")

	// The installed programs are the real ones and run.
	md, err := exec.Command(filepath.Join(root, "usr/lib/ocf/resource.d/mfs/master"), "meta-data").Output()
	require.NoError(t, err)
	assert.Contains(t, string(md), `<resource-agent name="master"`)
	md, err = exec.Command(filepath.Join(root, "usr/lib/ocf/resource.d/mfs/drbd"), "meta-data").Output()
	require.NoError(t, err)
	assert.Contains(t, string(md), `<resource-agent name="drbd"`)
	v, err := exec.Command(filepath.Join(root, "usr/sbin/drbd-splitbrain"), "--version").Output()
	require.NoError(t, err)
	assert.Contains(t, string(v), "drbd-splitbrain version")

	// man can read the installed, compressed pages.
	if _, err := exec.LookPath("man"); err == nil {
		page, err := exec.Command("man", "-l", filepath.Join(root, "usr/share/man/man8/drbd-splitbrain.8.gz")).Output()
		require.NoError(t, err)
		assert.Contains(t, string(page), "drbd-splitbrain")
	}
}

func keys(m map[string]bool) []string {
	var k []string
	for s := range m {
		k = append(k, s)
	}
	sort.Strings(k)
	return k
}
