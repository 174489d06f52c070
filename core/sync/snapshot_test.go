package sync

import (
	"testing"
	"time"
)

func TestCollectorMeasuresCheaply(t *testing.T) {
	c := NewCollector(t.TempDir())
	base := Snapshot{NodeName: "desk", Version: "1.0", Apps: []string{"bitcoind"}, TorActive: true}
	start := time.Now()
	s := c.Collect(base)
	if took := time.Since(start); took > 500*time.Millisecond {
		t.Errorf("first Collect took %v: it must never wait for a CPU sample", took)
	}
	if s.NodeName != "desk" || s.Version != "1.0" || len(s.Apps) != 1 || !s.TorActive {
		t.Errorf("base fields lost: %+v", s)
	}
	if s.Timestamp.IsZero() || time.Since(s.Timestamp) > time.Minute {
		t.Errorf("timestamp %v", s.Timestamp)
	}
	if s.MemTotalBytes == 0 || s.MemUsedBytes == 0 || s.MemUsedBytes > s.MemTotalBytes {
		t.Errorf("memory %d of %d", s.MemUsedBytes, s.MemTotalBytes)
	}
	if s.DiskTotalBytes == 0 || s.DiskUsedBytes > s.DiskTotalBytes {
		t.Errorf("disk %d of %d", s.DiskUsedBytes, s.DiskTotalBytes)
	}
	if s.UptimeSecs == 0 {
		t.Error("uptime 0")
	}
	if s.CPUUsagePercent < 0 || s.CPUUsagePercent > 100 {
		t.Errorf("cpu %v %%", s.CPUUsagePercent)
	}
	// Within the cache lifetime the figures are reused, not re-read.
	start = time.Now()
	for range 1000 {
		s2 := c.Collect(base)
		if s2.MemUsedBytes != s.MemUsedBytes || s2.CPUUsagePercent != s.CPUUsagePercent {
			t.Fatal("figures re-measured within the cache lifetime")
		}
	}
	if took := time.Since(start); took > 200*time.Millisecond {
		t.Errorf("1000 cached Collects took %v", took)
	}
	// A later sample measures CPU between the two samples.
	now := time.Now().Add(time.Minute)
	c.now = func() time.Time { return now }
	s3 := c.Collect(base)
	if s3.CPUUsagePercent < 0 || s3.CPUUsagePercent > 100 || !s3.Timestamp.Equal(now) {
		t.Errorf("second sample: cpu %v, timestamp %v", s3.CPUUsagePercent, s3.Timestamp)
	}
}
