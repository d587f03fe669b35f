// Package logging writes the log lines of the agents and of
// drbd-splitbrain the way ocf_log does for shell agents: to the journal or
// syslog, to HA_LOGFILE and HA_DEBUGLOG, else to stderr.
package logging

import (
	"fmt"
	"io"
	"log/syslog"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
)

// Level is a log priority, with syslog's numbering.
type Level int

// Levels used by agents.
const (
	LevelError Level = 3
	LevelWarn  Level = 4
	LevelInfo  Level = 6
	LevelDebug Level = 7
)

func (l Level) String() string {
	switch l {
	case LevelError:
		return "ERROR"
	case LevelWarn:
		return "WARNING"
	case LevelInfo:
		return "INFO"
	default:
		return "DEBUG"
	}
}

// Sink receives formatted log records. The journal, syslog, a log file and
// a test buffer are sinks.
type Sink interface {
	Log(level Level, tag, msg string)
}

// Logger logs the way ocf_log does for shell agents: every line tagged with
// the agent and the resource instance, to the journal when it runs, else to
// syslog, and also to HA_LOGFILE / HA_DEBUGLOG when set. Debug lines appear
// only with HA_DEBUG=1 or OCF_TRACE_RA set. When no sink is reachable the
// lines go to stderr, which Pacemaker's executor records in its own log.
type Logger struct {
	Tag   string // "ocf-mfsmaster(mfs)"
	Debug bool
	sinks []Sink
}

// New builds a logger for agent (e.g. "ocf-mfsmaster") and the resource
// instance ("" for none) from the environment read through lookup
// (HA_DEBUG, OCF_TRACE_RA, HA_LOGFACILITY, HA_LOGFILE, HA_DEBUGLOG). It never
// fails: meta-data runs as nobody with no environment, and a logger that
// cannot reach any sink writes to stderr (none when stderr is nil).
func New(agent, instance string, lookup func(string) (string, bool), stderr io.Writer) *Logger {
	tag := agent
	if instance != "" {
		tag = fmt.Sprintf("%s(%s)", agent, instance)
	}
	get := func(k string) string { v, _ := lookup(k); return v }
	l := &Logger{Tag: tag}
	if v := get("HA_DEBUG"); v != "" && v != "0" {
		l.Debug = true
	}
	if v := get("OCF_TRACE_RA"); v != "" && v != "0" {
		l.Debug = true
	}
	var files []Sink
	if f := get("HA_LOGFILE"); f != "" {
		files = append(files, &fileSink{path: f})
	}
	if f := get("HA_DEBUGLOG"); f != "" {
		files = append(files, &fileSink{path: f, debug: true})
	}
	var fallback io.Writer
	if len(files) == 0 {
		fallback = stderr
	}
	if facility := get("HA_LOGFACILITY"); facility != "none" {
		// Reached on the first line: a healthy monitor logs nothing, and
		// every action is a process of its own.
		l.sinks = append(l.sinks, &lazySink{open: func() Sink { return openSystemLog(facility, agent, instance) }, fallback: fallback})
	} else if fallback != nil {
		l.sinks = append(l.sinks, writerSink{w: fallback})
	}
	l.sinks = append(l.sinks, files...)
	return l
}

// openSystemLog connects to the journal, or to syslog with facility; nil
// when neither answers. Tests replace it.
var openSystemLog = func(facility, agent, instance string) Sink {
	if journal.Enabled() {
		return journalSink{instance: instance, agent: agent}
	}
	if s := dialSyslog(facility, agent); s != nil {
		return s
	}
	return nil
}

// lazySink opens the system log when the first line comes; when it cannot,
// lines go to fallback (stderr when no log file is configured, else
// nowhere more).
type lazySink struct {
	once     sync.Once
	open     func() Sink
	s        Sink
	fallback io.Writer
}

func (z *lazySink) Log(level Level, tag, msg string) {
	z.once.Do(func() {
		if z.s = z.open(); z.s == nil && z.fallback != nil {
			z.s = writerSink{w: z.fallback}
		}
	})
	if z.s != nil {
		z.s.Log(level, tag, msg)
	}
}

// AddFile makes the logger also append every non-debug line to path.
func (l *Logger) AddFile(path string) { l.sinks = append(l.sinks, &fileSink{path: path}) }

// NewTestLogger returns a logger writing every level, debug included, to w.
func NewTestLogger(tag string, w io.Writer) *Logger {
	return &Logger{Tag: tag, Debug: true, sinks: []Sink{writerSink{w: w}}}
}

func (l *Logger) log(level Level, format string, a ...any) {
	if l == nil || (level == LevelDebug && !l.Debug) {
		return
	}
	msg := fmt.Sprintf(format, a...)
	for _, s := range l.sinks {
		s.Log(level, l.Tag, msg)
	}
}

// Errorf logs at error level.
func (l *Logger) Errorf(format string, a ...any) { l.log(LevelError, format, a...) }

// Warnf logs at warning level.
func (l *Logger) Warnf(format string, a ...any) { l.log(LevelWarn, format, a...) }

// Infof logs at info level.
func (l *Logger) Infof(format string, a ...any) { l.log(LevelInfo, format, a...) }

// Debugf logs only when debugging is on.
func (l *Logger) Debugf(format string, a ...any) { l.log(LevelDebug, format, a...) }

type journalSink struct{ agent, instance string }

func (j journalSink) Log(level Level, tag, msg string) {
	vars := map[string]string{"SYSLOG_IDENTIFIER": j.agent}
	if j.instance != "" {
		vars["OCF_RESOURCE_INSTANCE"] = j.instance
	}
	_ = journal.Send(tag+": "+msg, journal.Priority(level), vars)
}

type syslogSink struct{ w *syslog.Writer }

var facilities = map[string]syslog.Priority{
	"kern": syslog.LOG_KERN, "user": syslog.LOG_USER, "daemon": syslog.LOG_DAEMON,
	"auth": syslog.LOG_AUTH, "syslog": syslog.LOG_SYSLOG, "authpriv": syslog.LOG_AUTHPRIV,
	"local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2,
	"local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5,
	"local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7,
}

func dialSyslog(facility, agent string) Sink {
	p, ok := facilities[strings.ToLower(facility)]
	if !ok {
		p = syslog.LOG_DAEMON
	}
	w, err := syslog.New(p|syslog.LOG_INFO, agent)
	if err != nil {
		return nil
	}
	return syslogSink{w: w}
}

func (s syslogSink) Log(level Level, tag, msg string) {
	line := tag + ": " + msg
	switch level {
	case LevelError:
		_ = s.w.Err(line)
	case LevelWarn:
		_ = s.w.Warning(line)
	case LevelInfo:
		_ = s.w.Info(line)
	default:
		_ = s.w.Debug(line)
	}
}

// fileSink appends to a log file, opening it per line so that logrotate and
// concurrent agents (every action is a new process) need no coordination.
type fileSink struct {
	path  string
	debug bool
	mu    sync.Mutex
}

func (f *fileSink) Log(level Level, tag, msg string) {
	if level == LevelDebug && !f.debug {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fh, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return
	}
	defer fh.Close()
	fmt.Fprintf(fh, "%s %s[%s]: %s: %s\n", time.Now().Format("Jan _2 15:04:05"), tag,
		strconv.Itoa(os.Getpid()), level, msg)
}

type writerSink struct{ w io.Writer }

func (s writerSink) Log(level Level, tag, msg string) {
	fmt.Fprintf(s.w, "%s: %s: %s\n", tag, level, msg)
}
