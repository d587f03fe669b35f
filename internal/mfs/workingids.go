package mfs

import (
	"fmt"
	"os/user"
	"strconv"
	"strings"
)

// WorkingIDs resolves WORKING_USER and WORKING_GROUP as mfsmaster does when
// started as root (mfscommon/main.c, changeugid): "#N" is a numeric id, a
// name is looked up, and an empty WORKING_GROUP means the user's primary
// group. Outcomes: uid and gid; an error naming the user or group that
// does not exist on this node, which mfsmaster would refuse to start with.
func WorkingIDs(c *Config) (uid, gid int, err error) {
	gid = -1
	if n, ok := strings.CutPrefix(c.WorkingGroup, "#"); ok {
		if gid, err = strconv.Atoi(n); err != nil {
			return -1, -1, fmt.Errorf("WORKING_GROUP %s is not a number", c.WorkingGroup)
		}
	} else if c.WorkingGroup != "" {
		g, err := user.LookupGroup(c.WorkingGroup)
		if err != nil {
			return -1, -1, fmt.Errorf("WORKING_GROUP %s does not exist on this node", c.WorkingGroup)
		}
		gid, _ = strconv.Atoi(g.Gid)
	}
	var u *user.User
	if n, ok := strings.CutPrefix(c.WorkingUser, "#"); ok {
		if uid, err = strconv.Atoi(n); err != nil {
			return -1, -1, fmt.Errorf("WORKING_USER %s is not a number", c.WorkingUser)
		}
		if gid >= 0 {
			return uid, gid, nil
		}
		if u, err = user.LookupId(n); err != nil {
			return -1, -1, fmt.Errorf("WORKING_USER %s: no user with that id on this node, so no group either", c.WorkingUser)
		}
	} else if u, err = user.Lookup(c.WorkingUser); err != nil {
		return -1, -1, fmt.Errorf("WORKING_USER %s does not exist on this node", c.WorkingUser)
	}
	uid, _ = strconv.Atoi(u.Uid)
	if gid < 0 {
		gid, _ = strconv.Atoi(u.Gid)
	}
	return uid, gid, nil
}
