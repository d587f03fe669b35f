// Package rpm builds ocf-mfs's RPMs with `make rpm` and checks what the
// binary package installs. The tests carry the integration build tag: they
// need rpmbuild and rpmlint and take tens of seconds.
package rpm
