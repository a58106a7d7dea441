package tracking

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"1Z999AA10123456784", "1Z999AA10123456784"},
		{"  1z999aa10123456784\t", "1Z999AA10123456784"},
		{"9400 1112 0108 0805 4830 16", "9400111201080805483016"},
		{"9400-1112-0108-0805-4830-16", "9400111201080805483016"},
		{"1LS7119013618127-1", "1LS71190136181271"},
		{"'940011120108080548301", "940011120108080548301"},
		{"\"TBA123456789012\"", "TBA123456789012"},
		{"rb.123.456.785/gb", "RB123456785GB"},
		{"tba_123_456_789_012", "TBA123456789012"},
		{"\u00a0TBA123456789012\u200b", "TBA123456789012"}, // no-break space, zero-width space
		{"\ufeff1Z999AA10123456784", "1Z999AA10123456784"}, // byte-order mark
		{"9400\u20131112\u2014", "94001112"},               // en and em dashes
		{"\uff34\uff22\uff21\uff11\uff12\uff13", "TBA123"}, // full-width letters and digits
		{"\u201c1Z999AA1\u201d", "1Z999AA1"},               // curly quotes
		{"#1001", "#1001"},                                 // kept: not a separator
		{"12,345", "12,345"},
		{"ünïcödé", "ÜNÏCÖDÉ"},
		{"\xff\xfe", "\ufffd\ufffd"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Normalize(tt.want); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want it unchanged (idempotence)", tt.want, got)
		}
	}
}

func TestNormalizeDoesNotAllocateWhenClean(t *testing.T) {
	for _, s := range []string{"1Z999AA10123456784", "  9400111201080805483016 "} {
		if n := testing.AllocsPerRun(100, func() { Normalize(s) }); n != 0 {
			t.Errorf("Normalize(%q) allocates %v times, want 0", s, n)
		}
	}
}
