package local

// State is what the lock and /proc say about one mfsmaster instance.
type State struct {
	PID       int      // the lock holder's pid; 0 when nobody holds the lock
	Process   *Process // the lock holder; nil when none
	Listening bool     // the holder listens on the client port
	isMaster  bool     // Process has the master's name
}

// Running reports a live mfsmaster holding the lock.
func (s State) Running() bool { return s.Process != nil && s.isMaster }

// MasterState finds the holder of the lock on cfg's
// DATA_PATH/.mfsmaster.lock the way mfsmaster does, without forking; name is
// the process name the holder must have ("mfsmaster" when empty). Outcomes: the state (not running
// when nobody holds the lock, or when the holder is not named like the
// master); an error wrapping ErrNotRegular when the lock file is not a
// regular file and nobody holds it; any other error reading /proc.
func (h *Host) MasterState(cfg *Config, name string) (State, error) {
	holder, err := h.LockHolder(cfg.LockPath())
	if err != nil || holder == nil {
		return State{}, err
	}
	st := State{PID: holder.PID, Process: holder}
	if name == "" {
		name = "mfsmaster"
	}
	st.isMaster = holder.Comm == name
	if st.Running() && !holder.Stopped() {
		if st.Listening, err = h.Listening(holder.PID, cfg.Matocl.Port); err != nil {
			return st, err
		}
	}
	return st, nil
}
