package snmp

// Counter turns successive raw readings of an SNMP counter into a monotonic
// total. Bits is 32 for Counter32 (a smaller reading is a wrap when the agent
// did not restart) and 0 or 64 for Counter64. A reset is detected when
// sysUpTime goes back (agent restarted: the new reading counts from zero) or,
// for Counter64, when the reading goes back. The first reading sets the base
// and adds nothing.
type Counter struct {
	Bits int

	started bool
	last    uint64
	uptime  uint32
	total   uint64
}

// Update adds the increase since the previous reading and returns it.
// uptime is sysUpTime in TimeTicks; pass hasUptime=false when unknown.
func (c *Counter) Update(raw uint64, uptime uint32, hasUptime bool) uint64 {
	d := c.delta(raw, uptime, hasUptime)
	c.total += d
	c.started, c.last = true, raw
	if hasUptime {
		c.uptime = uptime
	}
	return d
}

func (c *Counter) delta(raw uint64, uptime uint32, hasUptime bool) uint64 {
	if !c.started {
		return 0
	}
	if hasUptime && uptime < c.uptime {
		// Agent restarted: counters started again from zero.
		return raw
	}
	return Delta(c.last, raw, c.Bits)
}

// Total returns the accumulated increase.
func (c *Counter) Total() uint64 { return c.total }

// Delta returns the increase from prev to cur of a counter of the given
// width: for 32 bits a smaller cur is one wrap; for 64 bits (or 0) a smaller
// cur is a reset and cur itself is the increase.
func Delta(prev, cur uint64, bits int) uint64 {
	if cur >= prev {
		return cur - prev
	}
	if bits == 32 && prev <= 0xFFFFFFFF {
		return (1<<32 - prev) + cur
	}
	return cur
}
