package tracking

// The formats Shipwatch recognises. Shapes and check-digit rules follow the
// carriers' label specifications as collected by the open
// tracking_number_data project (MIT) and UPU standard S10; docs/tracking.md
// lists the source of each. Priors are Shipwatch's estimate of US e-commerce
// parcel shares; shape and check rates are worked out from each shape, with
// the reasoning beside the figure.

// The formats the code refers to by name.
const (
	fUPS formatID = iota
	fUPSWaybill
	fUSPS20
	fUSPSIMpb
	fUSPSLegacy
	fFedEx12
	fFedEx34
	fFedExASTRA
	fFedExGround
	fFedExGround96
	fFedExSSCC
	fFedExGSN
	fDHLExpress
	fDHLPiece
	fDHLEcommerce
	fDHLEcommerce14
	fAmazon
	fAmazonIntl
	fOnTrac
	fLaserShipLX
	fLaserShip1LS7
	fLaserShip1LS718
	fLaserShip1LSCX
	fCanadaPost
	fPurolator
	fPurolatorAlpha
	fDPD28
	fDPD14
	fCanpar
	fOldDominion
	fOldDominionGuaranteed
	fYodel
	fLandmark
	fYunExpress
	fGOFO
	fSpeeDee
	fS10
	numFormats
)

// formats is indexed by formatID.
var formats = [numFormats]format{
	fUPS: {
		id: "ups_1z", name: "UPS 1Z", carrier: cUPS, lengths: []int{18},
		// "1Z", 15 letters or digits, a digit: 1Z pins 1/10 and 1/26.
		shape: func(s string) bool {
			return s[0] == '1' && s[1] == 'Z' && isDigit(s[17]) && isClean(s[2:17])
		},
		check:  func(s string) (int, byte) { return 17, alt12Check(s[2:17]) },
		fields: upsFields,
		prior:  0.20, shapeRate: 1.0 / 260, checkRate: 0.1,
	},
	fUPSWaybill: {
		id: "ups_waybill", name: "UPS waybill", carrier: cUPS, lengths: []int{11},
		shape: func(s string) bool { return oneOf(s[0], "AHJKTV") && allDigits(s[1:]) },
		check: func(s string) (int, byte) { return 10, alt12Check(s[1:10]) },
		fields: func(s string) (f Fields) {
			f.ServiceType = s[:1]
			f.Service = waybillServiceIndex[code36(s[:1])]
			return
		},
		prior: 0.002, shapeRate: 6.0 / 26, checkRate: 0.1,
	},
	fUSPS20: {
		id: "usps_20", name: "USPS 20 digit", carrier: cUSPS, lengths: []int{20},
		numeric: true,
		shape:   anyDigits,
		check:   func(s string) (int, byte) { return 19, gs1Check(s[:19]) },
		fields: func(s string) (f Fields) {
			f.ServiceType, f.Service, f.MailerID = s[:2], uspsServiceIndex[code36(s[:2])], s[2:11]
			return
		},
		prior: 0.004, shapeRate: 1, checkRate: 0.1,
	},
	fUSPSIMpb: {
		id: "usps_impb", name: "USPS IMpb", carrier: cUSPS, lengths: []int{22, 26, 30, 34},
		numeric: true,
		// Application identifier 92-95 (4 in 100), mailer ID length
		// consistent with it (about 1 in 2).
		shape: func(s string) bool { _, _, ok := impbSplit(s); return ok },
		check: func(s string) (int, byte) {
			_, body, _ := impbSplit(s)
			return last(s), gs1Check(body[:len(body)-1])
		},
		fields: impbFields,
		prior:  0.30, shapeRate: 0.02, checkRate: 0.1,
	},
	fUSPSLegacy: {
		id: "usps_legacy", name: "USPS 91", carrier: cUSPS, lengths: []int{20, 22, 28, 30, 32, 34},
		numeric: true,
		shape:   func(s string) bool { _, _, ok := legacySplit(s); return ok },
		check: func(s string) (int, byte) {
			_, body, _ := legacySplit(s)
			if len(body) == 20 {
				// The "91" application identifier is implied: it adds
				// 9*3 + 1*1 to the GS1 sum.
				return last(s), mod10Digit(gs1Sum(body[:19]) + 28)
			}
			return last(s), gs1Check(body[:21])
		},
		fields: legacyFields,
		prior:  0.002, shapeRate: 0.5, checkRate: 0.1,
	},
	fFedEx12: {
		id: "fedex_express_12", name: "FedEx Express 12 digit", carrier: cFedEx, lengths: []int{12},
		numeric: true,
		shape:   anyDigits,
		check:   func(s string) (int, byte) { return 11, fedexCheck(s[:11]) },
		prior:   0.08, shapeRate: 1, checkRate: 0.1,
	},
	fFedEx34: {
		id: "fedex_express_34", name: "FedEx Express 34 digit", carrier: cFedEx, lengths: []int{34},
		numeric: true,
		shape:   func(s string) bool { return s[0] <= '8' },
		check:   func(s string) (int, byte) { return 33, fedexCheck(s[20:33]) },
		fields:  func(s string) Fields { return Fields{RoutingZIP: s[15:20], TrackingNumber: s[22:]} },
		prior:   0.02, shapeRate: 0.9, checkRate: 0.1,
	},
	fFedExASTRA: {
		id: "fedex_astra_32", name: "FedEx ASTRA", carrier: cFedEx, lengths: []int{32},
		numeric: true,
		shape:   func(s string) bool { return s[0] == '3' },
		check:   func(s string) (int, byte) { return 27, fedexCheck(s[16:27]) },
		fields:  func(s string) Fields { return Fields{TrackingNumber: s[16:28]} },
		prior:   0.002, shapeRate: 0.1, checkRate: 0.1,
	},
	fFedExGround: {
		id: "fedex_ground_15", name: "FedEx Ground 15 digit", carrier: cFedEx, lengths: []int{15},
		numeric: true,
		shape:   anyDigits,
		check:   func(s string) (int, byte) { return 14, gs1Check(s[:14]) },
		prior:   0.04, shapeRate: 1, checkRate: 0.1,
	},
	fFedExGround96: {
		id: "fedex_ground_96", name: "FedEx Ground 96 (22 digit)", carrier: cFedEx, lengths: []int{22},
		numeric: true,
		// The last 15 digits are a FedEx Ground number; only they are checked.
		shape: func(s string) bool { return s[0] == '9' && s[1] == '6' },
		check: func(s string) (int, byte) { return 21, gs1Check(s[7:21]) },
		fields: func(s string) (f Fields) {
			f.ServiceType, f.ShipperID, f.TrackingNumber = s[4:7], s[7:14], s[7:]
			return
		},
		prior: 0.02, shapeRate: 0.01, checkRate: 0.1,
	},
	fFedExSSCC: {
		id: "fedex_sscc_18", name: "FedEx Ground SSCC-18", carrier: cFedEx, lengths: []int{18},
		numeric: true,
		shape:   anyDigits,
		check:   func(s string) (int, byte) { return 17, gs1Check(s[:17]) },
		prior:   0.004, shapeRate: 1, checkRate: 0.1,
	},
	fFedExGSN: {
		id: "fedex_ground_gsn", name: "FedEx Ground GSN (34 digit)", carrier: cFedEx, lengths: []int{34},
		numeric: true,
		shape:   func(s string) bool { return s[0] == '9' && s[1] == '6' },
		check:   func(s string) (int, byte) { return 33, fedexCheck(s[20:33]) },
		fields:  func(s string) Fields { return Fields{ShipperID: s[9:19], TrackingNumber: s[22:]} },
		prior:   0.01, shapeRate: 0.01, checkRate: 0.1,
	},
	fDHLExpress: {
		id: "dhl_express", name: "DHL Express waybill", carrier: cDHL, lengths: []int{10, 11},
		numeric: true,
		shape:   anyDigits,
		check:   func(s string) (int, byte) { return last(s), mod7Check(s[:last(s)]) },
		prior:   0.02, shapeRate: 1, checkRate: 0.1,
	},
	fDHLPiece: {
		id: "dhl_piece_id", name: "DHL Express piece ID", carrier: cDHL, lengths: []int{12, 13, 14},
		shape: func(s string) bool {
			k := len(s) - 10 // letters: J + 2 or 3, then 9 or 10 digits
			return s[0] == 'J' && (allUpper(s[1:3]) && allDigits(s[3:]) && len(s) <= 13 ||
				k >= 3 && allUpper(s[1:4]) && allDigits(s[4:]))
		},
		prior: 0.002, shapeRate: 1.0 / 26, checkRate: 1,
	},
	fDHLEcommerce: {
		id: "dhl_ecommerce", name: "DHL eCommerce", carrier: cDHL, lengths: span(12, 41),
		url: "https://www.dhl.com/us-en/home/tracking/tracking-ecommerce.html?submit=1&tracking-id=",
		// Ten two-letter prefixes out of 676, then letters and digits with
		// at least one digit. A number of the S10 shape is an S10 item, which
		// its check digit decides, whoever carries it.
		shape: func(s string) bool {
			if !dhlEcommercePrefix(s[:2]) || !isClean(s[2:]) || len(s) == 13 && s10Shape(s) {
				return false
			}
			for i := 2; i < len(s); i++ {
				if isDigit(s[i]) {
					return true
				}
			}
			return false
		},
		prior: 0.01, shapeRate: 10.0 / 676, checkRate: 1,
	},
	fDHLEcommerce14: {
		id: "dhl_ecommerce_14", name: "DHL eCommerce 14 digit", carrier: cDHL, lengths: []int{14},
		numeric: true,
		url:     "https://www.dhl.com/us-en/home/tracking/tracking-ecommerce.html?submit=1&tracking-id=",
		shape:   anyDigits, weak: true,
		prior: 0.003, shapeRate: 1, checkRate: 1,
	},
	fAmazon: {
		id: "amazon_logistics", name: "Amazon Logistics", carrier: cAmazon, lengths: []int{15},
		shape: func(s string) bool {
			return s[0] == 'T' && s[1] == 'B' && oneOf(s[2], "ACM") && allDigits(s[3:])
		},
		prior: 0.08, shapeRate: 3.0 / (26 * 26 * 26), checkRate: 1,
	},
	fAmazonIntl: {
		id: "amazon_international", name: "Amazon international", carrier: cAmazon, lengths: []int{11},
		shape: func(s string) bool { return oneOf(s[0], "AFC") && allDigits(s[1:]) },
		prior: 0.001, shapeRate: 3.0 / 26, checkRate: 1,
	},
	fOnTrac: {
		id: "ontrac", name: "OnTrac", carrier: cOnTrac, lengths: []int{15},
		// The C or D prefix counts in the UPS scheme as 4 or 5.
		shape: func(s string) bool { return (s[0] == 'C' || s[0] == 'D') && allDigits(s[1:]) },
		check: func(s string) (int, byte) { return 14, alt12Check(s[:14]) },
		prior: 0.01, shapeRate: 2.0 / 26, checkRate: 0.1,
	},
	fLaserShipLX: {
		id: "lasership_lx", name: "LaserShip L", carrier: cLaserShip, lengths: []int{10},
		shape: func(s string) bool {
			return s[0] == 'L' && oneOf(s[1], "AIEHNX") && s[2] >= '1' && s[2] <= '3' && allDigits(s[3:])
		},
		prior: 0.004, shapeRate: 6.0 / (26 * 26) * 0.3, checkRate: 1,
	},
	fLaserShip1LS7: {
		id: "lasership_1ls7", name: "LaserShip 1LS7", carrier: cLaserShip, lengths: []int{15},
		shape: func(s string) bool { return s[:4] == "1LS7" && (s[4] == '1' || s[4] == '2') && allDigits(s[5:]) },
		prior: 0.002, shapeRate: 0.2 / (10 * 10 * 26 * 26), checkRate: 1,
	},
	fLaserShip1LS718: {
		// Printed 1LS7...-1; normalisation drops the hyphen.
		id: "lasership_1ls7_18", name: "LaserShip 1LS7 (18)", carrier: cLaserShip, lengths: []int{17},
		shape: func(s string) bool {
			return s[:4] == "1LS7" && (s[4] == '1' || s[4] == '2') && s[7:9] == "01" &&
				s[9] >= '1' && s[9] <= '4' && s[16] == '1' && allDigits(s[5:])
		},
		prior: 0.001, shapeRate: 1e-9, checkRate: 1,
	},
	fLaserShip1LSCX: {
		id: "lasership_1lscx", name: "LaserShip 1LSCX", carrier: cLaserShip, lengths: []int{15},
		shape: func(s string) bool { return s[:5] == "1LSCX" && isClean(s[5:]) },
		prior: 0.001, shapeRate: 1e-7, checkRate: 1,
	},
	fCanadaPost: {
		id: "canada_post_16", name: "Canada Post 16 digit", carrier: cCanadaPost, lengths: []int{16},
		numeric: true,
		shape:   anyDigits,
		check:   func(s string) (int, byte) { return 15, gs1Check(s[:15]) },
		prior:   0.01, shapeRate: 1, checkRate: 0.1,
	},
	fPurolator: {
		id: "purolator_12", name: "Purolator 12 digit", carrier: cPurolator, lengths: []int{12},
		numeric: true,
		shape:   func(s string) bool { return s[0] <= '5' },
		check:   func(s string) (int, byte) { return 11, luhnCheck(s[:11]) },
		prior:   0.004, shapeRate: 0.6, checkRate: 0.1,
	},
	fPurolatorAlpha: {
		id: "purolator_alpha", name: "Purolator letters and digits", carrier: cPurolator, lengths: []int{12},
		shape: func(s string) bool { return allUpper(s[:3]) && allDigits(s[3:]) },
		prior: 0.002, shapeRate: 1, checkRate: 1,
	},
	fDPD28: {
		id: "dpd_28", name: "DPD 28 character", carrier: cDPD, lengths: []int{28},
		shape: func(s string) bool { return allDigits(s[:27]) && (isDigit(s[27]) || isUpper(s[27])) },
		check: func(s string) (int, byte) { return 27, mod3736Check(s[:27]) },
		fields: func(s string) (f Fields) {
			f.RoutingZIP, f.TrackingNumber = s[:7], s[7:21]
			f.ServiceType, f.Service = s[21:24], dpdServiceIndex[code36(s[21:24])]
			return
		},
		prior: 0.004, shapeRate: 1, checkRate: 1.0 / 36,
	},
	fDPD14: {
		id: "dpd_14", name: "DPD 14 digit", carrier: cDPD, lengths: []int{15},
		shape:  func(s string) bool { return allDigits(s[:14]) && (isDigit(s[14]) || isUpper(s[14])) },
		check:  func(s string) (int, byte) { return 14, mod3736Check(s[:14]) },
		fields: func(s string) Fields { return Fields{TrackingNumber: s[:14]} },
		prior:  0.004, shapeRate: 1, checkRate: 1.0 / 36,
	},
	fCanpar: {
		id: "canpar_22", name: "Canpar 22 character", carrier: cCanpar, lengths: []int{22},
		shape: func(s string) bool { return oneOf(s[0], "CDKLSUXZ") && allDigits(s[1:]) },
		prior: 0.002, shapeRate: 8.0 / 26, checkRate: 1,
	},
	fOldDominion: {
		id: "old_dominion", name: "Old Dominion PRO", carrier: cOldDominion, lengths: []int{11},
		numeric: true,
		shape: func(s string) bool {
			p := s[:3]
			return p == "777" || p == "778" || p == "072" || p == "780"
		},
		check: func(s string) (int, byte) { return 10, luhnCheck(s[:10]) },
		prior: 0.002, shapeRate: 0.004, checkRate: 0.1,
	},
	fOldDominionGuaranteed: {
		id: "old_dominion_guaranteed", name: "Old Dominion guaranteed PRO", carrier: cOldDominion, lengths: []int{11},
		numeric: true,
		shape:   func(s string) bool { return s[0] == '8' && s[1] == '0' },
		check:   func(s string) (int, byte) { return 10, luhnCheck(s[:10]) },
		prior:   0.001, shapeRate: 0.01, checkRate: 0.1,
	},
	fYodel: {
		id: "yodel", name: "Yodel", carrier: cYodel, lengths: []int{18, 19},
		shape: func(s string) bool {
			return s[0] == 'J' && (s[1] == 'D' && len(s) == 18 || s[1] == 'J' && s[2] == 'D') && allDigits(s[len(s)-16:])
		},
		prior: 0.002, shapeRate: 1.0 / (26 * 26), checkRate: 1,
	},
	fLandmark: {
		id: "landmark_ltn", name: "Landmark Global LTN", carrier: cLandmark, lengths: []int{13},
		shape: func(s string) bool { return s[:3] == "LTN" && allDigits(s[3:11]) && s[11:] == "N1" },
		prior: 0.001, shapeRate: 1e-6, checkRate: 1,
	},
	fYunExpress: {
		id: "yunexpress", name: "YunExpress", carrier: cYunExpress, lengths: []int{18},
		shape: func(s string) bool { return s[0] == 'Y' && s[1] == 'T' && allDigits(s[2:]) },
		prior: 0.003, shapeRate: 1.0 / (26 * 26), checkRate: 1,
	},
	fGOFO: {
		id: "gofo_us", name: "GOFO Express", carrier: cGOFO, lengths: []int{18},
		shape: func(s string) bool { return s[:4] == "GFUS" && allDigits(s[4:]) },
		prior: 0.003, shapeRate: 1.0 / (26 * 26 * 26 * 26), checkRate: 1,
	},
	fSpeeDee: {
		id: "speedee", name: "Spee-Dee", carrier: cSpeeDee, lengths: []int{20},
		shape: func(s string) bool { return s[0] == 'S' && s[1] == 'P' && allDigits(s[2:]) },
		prior: 0.001, shapeRate: 1.0 / (26 * 26), checkRate: 1,
	},
	fS10: {
		id: "upu_s10", name: "UPU S10", lengths: []int{13},
		shape: s10Shape,
		check: func(s string) (int, byte) { return 10, s10Check(s[2:10]) },
		fields: func(s string) (f Fields) {
			f.ServiceType, f.Service, f.Country = s[:2], s10Services[s[0]-'A'], s[11:]
			f.PostalOperator = carriers[countryOperator[countryIndex(s[11], s[12])]].code
			return
		},
		// Two letters, nine digits, two letters of an ISO 3166 country
		// (249 of 676).
		prior: 0.02, shapeRate: 249.0 / 676, checkRate: 0.1,
	},
}

// dhlEcommercePrefix reports whether p opens a DHL eCommerce number.
func dhlEcommercePrefix(p string) bool {
	switch p {
	case "GM", "LX", "RX", "UV", "CN", "SG", "TH", "IN", "HK", "MY":
		return true
	}
	return false
}

// s10Shape reports whether s has the UPU S10 shape: a two letter service
// indicator, an 8 digit serial, a check digit, a two letter country code.
func s10Shape(s string) bool {
	return len(s) == 13 && allUpper(s[:2]) && allDigits(s[2:11]) && allUpper(s[11:])
}

// upsFields splits a 1Z number into shipper account, service and package.
func upsFields(s string) (f Fields) {
	f.ShipperID, f.ServiceType = s[2:8], s[8:10]
	f.Service = upsServiceIndex[code36(s[8:10])]
	return f
}
