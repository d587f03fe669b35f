package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// benchMetadata times the agent's stop (mfsmaster stores its metadata),
// start (loads it) and start after kill -9 (mfsmaster -a replays the
// changelogs) for file systems of growing size, made through a real client
// mount on loopback.
func benchMetadata(r *report, bin string) error {
	agent := filepath.Join(bin, "ocf-mfsmaster")
	r.p("## Start and stop against metadata size")
	r.p("")
	r.p("One mfsmaster on loopback; the files are made through mfsmount (1000 per directory, empty).")
	r.p("")
	r.p("| files | metadata.mfs | stop (store) s | start (load) s | start after kill -9 (-a) s |")
	r.p("| ---: | ---: | ---: | ---: | ---: |")
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad size %q", f)
		}
		row, err := metadataRound(agent, n)
		if err != nil {
			return fmt.Errorf("%d files: %w", n, err)
		}
		r.p("%s", row)
	}
	r.p("")
	return nil
}

func metadataRound(agent string, n int) (string, error) {
	dir, err := os.MkdirTemp("", "ocf-mfs-bench-md-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	cfg, data, port, err := loopbackMaster(dir)
	if err != nil {
		return "", err
	}
	mnt := filepath.Join(dir, "mnt")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		return "", err
	}
	env := []string{"OCF_RESKEY_config=" + cfg, "OCF_RESOURCE_INSTANCE=bench", "HA_LOGFACILITY=none",
		"OCF_RESKEY_CRM_meta_timeout=600000"}
	act := func(action string) (time.Duration, error) {
		s := measure(env, agent, action)
		if s.code != 0 {
			return s.wall, fmt.Errorf("agent %s exited %d", action, s.code)
		}
		return s.wall, nil
	}
	defer act("stop")
	if _, err := act("start"); err != nil {
		return "", err
	}
	if out, err := exec.Command("mfsmount", mnt, "-H", "127.0.0.1", "-P", strconv.Itoa(port)).CombinedOutput(); err != nil {
		return "", fmt.Errorf("mfsmount: %v: %s", err, out)
	}
	mounted := true
	unmount := func() {
		if mounted {
			_ = exec.Command("umount", mnt).Run()
			mounted = false
		}
	}
	defer unmount()
	for i := 0; i < n; i++ {
		d := filepath.Join(mnt, fmt.Sprintf("d%04d", i/1000))
		if i%1000 == 0 {
			if err := os.Mkdir(d, 0o755); err != nil {
				return "", err
			}
		}
		f, err := os.Create(filepath.Join(d, fmt.Sprintf("f%06d", i)))
		if err != nil {
			return "", err
		}
		f.Close()
	}
	unmount()
	stop, err := act("stop")
	if err != nil {
		return "", err
	}
	st, err := os.Stat(filepath.Join(data, "metadata.mfs"))
	if err != nil {
		return "", fmt.Errorf("no metadata.mfs after stop: %w", err)
	}
	start, err := act("start")
	if err != nil {
		return "", err
	}
	pid, _ := readPID(filepath.Join(data, ".mfsmaster.lock"))
	_ = syscall.Kill(pid, syscall.SIGKILL)
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	waitGone(pid)
	recov, err := act("start")
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("| %d | %.1f MiB | %.2f | %.2f | %.2f |", n, float64(st.Size())/(1<<20),
		stop.Seconds(), start.Seconds(), recov.Seconds()), nil
}
