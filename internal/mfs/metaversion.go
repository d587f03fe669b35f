package mfs

import "encoding/binary"

// metaVersionOf finds the master's meta_version() in its MATOCL_INFO body:
// the number the next metadata change will get, which metaloggers are
// compared against. Its offset follows the fields before it
// (mfsmaster/matoclserv.c, matoclserv_info): in 3.0 (3.0.117) the version,
// seven 64-bit, one 32-bit, one 64-bit and seven 32-bit counters, the
// last-save fields (9 bytes), four 0xFF and two 32-bit zeros put it at
// byte 121 of a 149-byte body; 4.x (4.57.5 to 4.59) counts four chunk
// kinds instead of three, which moves it to byte 125. Other layouts are
// not guessed: ok is false.
func metaVersionOf(major uint16, body []byte) (v uint64, ok bool) {
	off := 0
	switch {
	case major == 3 && len(body) == 149:
		off = 121
	case major >= 4 && len(body) >= 133:
		off = 125
	default:
		return 0, false
	}
	return binary.BigEndian.Uint64(body[off:]), true
}
