//go:build !simdrbd

package main

import "github.com/ocf-mfs/ocf-mfs/internal/agent/drbd"

// simulate does nothing in the agent users install: it reads the kernel's
// /proc/drbd and nothing the environment could point it at.
func simulate(*drbd.Agent) {}
