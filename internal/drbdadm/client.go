// Package drbdadm is the domain client for drbdadm: the verbs ocf-mfs needs
// (Up, Down, Primary, Secondary, Connect, Disconnect...) instead of raw argv
// in agents and tools, each with the exit codes drbdadm is known to use for
// "already so" treated as success, because OCF actions and recovery steps
// must be idempotent.
package drbdadm

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ocf-mfs/ocf-mfs/internal/runner"
)

// Client runs drbdadm for one configuration file.
type Client struct {
	Runner runner.Runner
	// Drbdadm is the program to run; "drbdadm" from PATH when empty.
	Drbdadm string
	// Config is passed as `-c FILE` when set; drbdadm's own default
	// (/etc/drbd.conf) applies otherwise.
	Config string
}

// drbdadm exits 10 when asked to disconnect a device that has no network
// configuration, which is the normal state of a StandAlone node after a
// split brain ("unknown connection"). It means "already disconnected".
const exitNoNetConfig = 10

func (c *Client) argv(args ...string) (string, []string) {
	name := c.Drbdadm
	if name == "" {
		name = "drbdadm"
	}
	if c.Config != "" {
		args = append([]string{"-c", c.Config}, args...)
	}
	return name, args
}

// check runs drbdadm and turns an exit code outside ok into an error.
func (c *Client) check(ctx context.Context, ok []int, args ...string) (runner.Result, error) {
	name, argv := c.argv(args...)
	res, err := c.Runner.Run(ctx, name, argv...)
	if err != nil {
		return res, err
	}
	if res.ExitCode == 0 {
		return res, nil
	}
	for _, code := range ok {
		if res.ExitCode == code {
			return res, nil
		}
	}
	return res, runner.NewCommandError(res, name, argv...)
}

// Up attaches the backing disk and connects to the peer.
func (c *Client) Up(ctx context.Context, res string) error {
	_, err := c.check(ctx, nil, "up", res)
	return err
}

// Down disconnects and detaches; a resource that is already down is fine.
func (c *Client) Down(ctx context.Context, res string) error {
	_, err := c.check(ctx, nil, "down", res)
	return err
}

// Adjust makes the kernel's configuration match drbd.conf; on a resource
// that is down it brings it up.
func (c *Client) Adjust(ctx context.Context, res string) error {
	_, err := c.check(ctx, nil, "adjust", res)
	return err
}

// Primary promotes this node. force overrides DRBD's refusal to promote
// without UpToDate data; only an operator's explicit choice may set it.
func (c *Client) Primary(ctx context.Context, res string, force bool) error {
	args := []string{"primary", res}
	if force {
		args = []string{"primary", "--force", res}
	}
	_, err := c.check(ctx, nil, args...)
	return err
}

// Secondary demotes this node. It fails while the device is open (mounted).
func (c *Client) Secondary(ctx context.Context, res string) error {
	_, err := c.check(ctx, nil, "secondary", res)
	return err
}

// Connect connects to the peer. With discardMyData this node becomes the
// split-brain victim: its changes since the split are thrown away.
func (c *Client) Connect(ctx context.Context, res string, discardMyData bool) error {
	args := []string{"connect", res}
	if discardMyData {
		args = []string{"connect", "--discard-my-data", res}
	}
	_, err := c.check(ctx, nil, args...)
	return err
}

// Disconnect drops the connection; an already StandAlone device (drbdadm
// exit 10, "unknown connection") counts as success.
func (c *Client) Disconnect(ctx context.Context, res string) error {
	_, err := c.check(ctx, []int{exitNoNetConfig}, "disconnect", res)
	return err
}

// Minors returns the device minor of every volume of the resource, in the
// order drbdadm lists volumes (the order of LowerDevices), from drbd.conf.
func (c *Client) Minors(ctx context.Context, res string) ([]int, error) {
	out, err := c.check(ctx, nil, "sh-minor", res)
	if err != nil {
		return nil, err
	}
	var minors []int
	for _, f := range strings.Fields(out.Stdout) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("drbdadm sh-minor %s: %q is not a minor", res, f)
		}
		minors = append(minors, n)
	}
	if len(minors) == 0 {
		return nil, fmt.Errorf("drbdadm sh-minor %s: no minor printed", res)
	}
	return minors, nil
}

// GIText returns the raw `drbdadm get-gi` line, for drbdproc.ParseGI.
func (c *Client) GIText(ctx context.Context, res string) (string, error) {
	out, err := c.check(ctx, nil, "get-gi", res)
	return out.Stdout, err
}

// LowerDevices returns the backing ("lower-level") disk of every volume of
// the resource, in the order of Minors (`drbdadm sh-ll-dev` prints one per
// volume), from drbd.conf. With internal meta-data each holds the data
// followed by DRBD's meta-data, and unlike the DRBD device it can be read
// on a Secondary.
func (c *Client) LowerDevices(ctx context.Context, res string) ([]string, error) {
	out, err := c.check(ctx, nil, "sh-ll-dev", res)
	if err != nil {
		return nil, err
	}
	devs := strings.Fields(out.Stdout)
	if len(devs) == 0 {
		return nil, fmt.Errorf("drbdadm sh-ll-dev %s: no device printed", res)
	}
	return devs, nil
}

// Resources lists the resources drbd.conf defines (`drbdadm sh-resources`).
func (c *Client) Resources(ctx context.Context) ([]string, error) {
	out, err := c.check(ctx, nil, "sh-resources")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out.Stdout), nil
}

// MinorNames maps every configured minor to its resource name, because
// /proc/drbd knows only minors. Resources whose minor cannot be read are
// left out rather than failing the whole map: naming is a convenience.
func (c *Client) MinorNames(ctx context.Context) (map[int]string, error) {
	names, err := c.Resources(ctx)
	if err != nil {
		return nil, err
	}
	m := map[int]string{}
	for _, res := range names {
		out, err := c.check(ctx, nil, "sh-minor", res)
		if err != nil {
			continue
		}
		// A multi-volume resource prints one minor per line.
		for _, f := range strings.Fields(out.Stdout) {
			if n, err := strconv.Atoi(f); err == nil {
				m[n] = res
			}
		}
	}
	return m, nil
}
