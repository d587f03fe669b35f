// Package deb builds ocf-mfs's Debian package with `make deb`, checks it
// with lintian and installs it into a scratch root to check what it puts
// where. The tests carry the integration build tag: they need dpkg-deb and
// lintian and take tens of seconds.
package deb
