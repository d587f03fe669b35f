//go:build integration

package rpm

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	testrepo "github.com/ocf-mfs/ocf-mfs/test/repo"
)

// eval expands an rpm macro, so that the test expects each distribution's
// own paths (Fedora 42's %{_sbindir} is /usr/bin, for one).
func eval(t *testing.T, macro string) string {
	t.Helper()
	out, err := exec.Command("rpm", "--eval", macro).Output()
	require.NoError(t, err)
	return strings.TrimSpace(string(out))
}

// TestBinaryRPMContents builds the RPMs as a packager would and checks that
// the binary package holds exactly the programs, man pages and documents
// users need, with the modes they need.
func TestBinaryRPMContents(t *testing.T) {
	for _, p := range []string{"rpmbuild", "rpmlint", "git"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed (apt-get install rpm rpmlint)", p)
		}
	}
	repo := testrepo.Root()
	// make rpm fails unless rpmlint finds no error.
	out, err := exec.Command("make", "-C", repo, "rpm").CombinedOutput()
	require.NoError(t, err, "make rpm: %s", out)

	rpms, err := filepath.Glob(filepath.Join(repo, "dist/rpmbuild/RPMS/*/ocf-mfs-*.rpm"))
	require.NoError(t, err)
	require.Len(t, rpms, 1, "one binary RPM")
	srpms, err := filepath.Glob(filepath.Join(repo, "dist/rpmbuild/SRPMS/ocf-mfs-*.src.rpm"))
	require.NoError(t, err)
	require.Len(t, srpms, 1, "one source RPM")

	q, err := exec.Command("rpm", "-qp", "--qf", `[%{FILEMODES:perms} %{FILEFLAGS:fflags} %{FILENAMES}\n]`, rpms[0]).Output()
	require.NoError(t, err)
	// The doc and license directories are named with or without the version
	// (%{_docdir_fmt}), and brp-compress may compress the man pages.
	docdir := regexp.MustCompile(`^(` + regexp.QuoteMeta(eval(t, "%{_defaultdocdir}")) + `|` +
		regexp.QuoteMeta(eval(t, "%{_defaultlicensedir}")) + `)/ocf-mfs(-[^/]+)?`)
	compressed := regexp.MustCompile(`\.(gz|bz2|xz|zst)$`)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(q)), "\n") {
		f := strings.SplitN(line, " ", 3)
		require.Len(t, f, 3, line)
		path := compressed.ReplaceAllString(docdir.ReplaceAllString(f[2], "${1}/ocf-mfs"), "")
		got[path] = f[0] + " " + f[1]
	}

	ocf := "/usr/lib/ocf/resource.d/mfs"
	man, doc, lic := eval(t, "%{_mandir}"), eval(t, "%{_defaultdocdir}"), eval(t, "%{_defaultlicensedir}")
	libexec := eval(t, "%{_libexecdir}/ocf-mfs")
	assert.Equal(t, map[string]string{
		ocf:                                    "drwxr-xr-x ",
		ocf + "/master":                        "-rwxr-xr-x ",
		ocf + "/drbd":                          "-rwxr-xr-x ",
		libexec:                                "drwxr-xr-x ",
		libexec + "/ocf-mfsmaster-actions":     "-rwxr-xr-x ",
		eval(t, "%{_sbindir}/drbd-splitbrain"): "-rwxr-xr-x ",
		man + "/man7/ocf_mfs_master.7":         "-rw-r--r-- d",
		man + "/man7/ocf_mfs_drbd.7":           "-rw-r--r-- d",
		man + "/man8/drbd-splitbrain.8":        "-rw-r--r-- d",
		doc + "/ocf-mfs":                       "drwxr-xr-x ",
		doc + "/ocf-mfs/README.md":             "-rw-r--r-- d",
		lic + "/ocf-mfs":                       "drwxr-xr-x ",
		lic + "/ocf-mfs/LICENSE":               "-rw-r--r-- l",
	}, got)

	// RPM's Version can hold no '-'; make dist derives it from git describe.
	v, err := exec.Command("rpm", "-qp", "--qf", "%{VERSION}", rpms[0]).Output()
	require.NoError(t, err)
	assert.Regexp(t, `^[A-Za-z0-9._+~^]+$`, string(v))
}
