package tracking

// USPS numbers may carry a routing prefix: the GS1 application identifier
// 420 and the destination ZIP code (5 digits, or ZIP+4 when the rest is 22
// digits). The body after it is what USPS tracks and what the check digit
// covers. Publication 199 defines the IMpb bodies:
//
//	9 AI(1) | service type (3) | mailer ID (9 digits starting 9, or 6 starting 0-8) | serial | check
//
// where the AI digit is 2 (9 digit mailer, commercial), 3 (6 digit mailer,
// commercial), 4 (online and PC Postage) or 5 (retail), and the serial is
// 7 or 11 digits after a 9 digit mailer ID (15 for AI 94), or 10 or 14
// after a 6 digit one: bodies of 22, 26 and 30 digits.

// impbSplit splits a USPS IMpb number, all digits, into its routing ZIP
// (empty without the 420 prefix) and its body.
func impbSplit(s string) (zip, body string, ok bool) {
	switch len(s) {
	case 22, 26:
		return "", s, impbBody(s)
	case 30:
		if impbBody(s) {
			return "", s, true
		}
		if s[:3] == "420" && impbBody(s[8:]) {
			return s[3:8], s[8:], true
		}
	case 34:
		if s[:3] != "420" {
			return "", "", false
		}
		plus4, five := impbBody(s[12:]), impbBody(s[8:])
		// Both readings can have the IMpb shape; then the one whose check
		// digit holds is the one that was printed.
		if plus4 && (!five || s[33] == gs1Check(s[12:33]) || s[33] != gs1Check(s[8:33])) {
			return s[3:12], s[12:], true
		}
		if five {
			return s[3:8], s[8:], true
		}
	}
	return "", "", false
}

// impbBody reports whether b, all digits, is an IMpb body of the lengths and
// mailer ID rules above.
func impbBody(b string) bool {
	if b[0] != '9' || b[1] < '2' || b[1] > '5' {
		return false
	}
	mid9 := b[5] == '9'
	if b[1] == '2' && !mid9 || b[1] == '3' && mid9 {
		return false
	}
	serial := len(b) - 1 - 5 - 6
	if mid9 {
		serial -= 3
		return serial == 7 || serial == 11 || serial == 15 && b[1] == '4'
	}
	return serial == 10 || serial == 14
}

// impbFields fills what an IMpb number carries.
func impbFields(s string) (f Fields) {
	zip, body, _ := impbSplit(s)
	mid := 6
	if body[5] == '9' {
		mid = 9
	}
	f.RoutingZIP, f.TrackingNumber = zip, body
	f.ServiceType, f.MailerID = body[2:5], body[5:5+mid]
	f.Service = impbService(body[1])
	return f
}

// legacySplit splits a USPS number of the older Publication 91 layout
// ("91", a two digit service type, a 9 digit mailer ID, an 8 digit serial
// and a check digit; "91" may be left out, leaving 20 digits) into its
// routing ZIP and its body. s is all digits.
func legacySplit(s string) (zip, body string, ok bool) {
	switch len(s) {
	case 20:
		return "", s, true
	case 22:
		return "", s, s[:2] == "91"
	}
	if s[:3] != "420" {
		return "", "", false
	}
	switch len(s) {
	case 28:
		return s[3:8], s[8:], true
	case 30:
		return s[3:8], s[8:], s[8:10] == "91"
	case 32:
		return s[3:12], s[12:], true
	case 34:
		return s[3:12], s[12:], s[12:14] == "91"
	}
	return "", "", false
}

// legacyFields fills what a Publication 91 number carries.
func legacyFields(s string) (f Fields) {
	zip, body, _ := legacySplit(s)
	f.RoutingZIP, f.TrackingNumber = zip, body
	if len(body) == 22 {
		body = body[2:]
	}
	f.ServiceType, f.Service, f.MailerID = body[:2], uspsServiceIndex[code36(body[:2])], body[2:11]
	return f
}
