package tracking

// carrierAliases holds what sellers type and what marketplace, label and
// tracking-platform files hold for each carrier, beyond its code and display
// name (which resolve on their own). Keys are compared by aliasKey, so case,
// spaces and punctuation do not matter: one spelling of each is enough.
var carrierAliases = map[string]carrierID{
	// UPS, with its service names and the codes of marketplace files.
	"United Parcel Service": cUPS, "UPS Ground": cUPS, "UPS Next Day Air": cUPS,
	"UPS 2nd Day Air": cUPS, "UPS 3 Day Select": cUPS, "UPS Worldwide Express": cUPS,
	"UPS Standard": cUPS, "UPS SurePost": cUPS, "UPS Mail Innovations": cUPS,
	"UPS Ground Saver": cUPS, "UPSN": cUPS, "UPS Freight": cUPS,

	"United States Postal Service": cUSPS, "US Postal Service": cUSPS,
	"U.S. Postal Service": cUSPS, "US Mail": cUSPS, "USPS Priority Mail": cUSPS,
	"USPS First Class": cUSPS, "USPS First Class Mail": cUSPS, "USPS Ground Advantage": cUSPS,
	"USPS Parcel Select": cUSPS, "Priority Mail": cUSPS, "First Class Mail": cUSPS,
	"USPS Media Mail": cUSPS, "Media Mail": cUSPS, "Stamps.com": cUSPS, "Endicia": cUSPS,

	"Federal Express": cFedEx, "FedEx Ground": cFedEx, "FedEx Express": cFedEx,
	"FedEx Home Delivery": cFedEx, "FedEx SmartPost": cFedEx, "FedEx Ground Economy": cFedEx,
	"FedEx Freight": cFedEx, "FedEx International": cFedEx, "FedEx 2Day": cFedEx,
	"FedEx Priority Overnight": cFedEx, "FedEx Standard Overnight": cFedEx,
	"FDX": cFedEx, "FDXG": cFedEx, "FDXE": cFedEx, "FedEx US": cFedEx,

	"DHL Express": cDHL, "DHL eCommerce": cDHL, "DHL eCommerce Solutions": cDHL,
	"DHL Global Mail": cDHL, "DHL ECS": cDHL, "DHL Parcel": cDHL, "DHL Paket": cDHL,
	"DHL US": cDHL, "DHL Worldwide Express": cDHL, "DHL SmartMail": cDHL,

	"Amazon": cAmazon, "Amazon Shipping": cAmazon, "Amazon Logistics US": cAmazon,
	"AMZL": cAmazon, "AMZL_US": cAmazon, "AMZN": cAmazon, "AMZN_US": cAmazon,
	"AMZN_UK": cAmazon, "AMZN_CA": cAmazon, "Amazon Logistics UK": cAmazon,

	"OnTrac Logistics": cOnTrac, "OnTrac Express": cOnTrac,
	"LaserShip Inc": cLaserShip, "Laser Ship": cLaserShip,
	"Canada Post Corporation": cCanadaPost, "Postes Canada": cCanadaPost, "CPC": cCanadaPost,
	"Purolator Courier": cPurolator, "Purolator Inc": cPurolator,
	"DPD UK": cDPD, "DPD Group": cDPD, "DPD Local": cDPD, "DPD DE": cDPD,
	"Canpar Express": cCanpar, "Canpar Courier": cCanpar,
	"Old Dominion Freight Line": cOldDominion, "ODFL": cOldDominion,
	"Yodel Direct": cYodel, "Landmark": cLandmark, "Landmark Global LTN": cLandmark,
	"Yun Express": cYunExpress, "GOFO": cGOFO, "GOFO Express US": cGOFO,
	"Spee-Dee": cSpeeDee, "Spee Dee Delivery": cSpeeDee, "SpeeDee Delivery Service": cSpeeDee,

	// Postal operators by the names sellers know them by.
	"Royal Mail Group": cRoyalMail, "Parcelforce": cRoyalMail,
	"China EMS": cChinaPost, "ePacket": cChinaPost, "China Post Air Mail": cChinaPost,
	"DHL Deutsche Post": cDeutschePost, "Colissimo": cLaPoste, "La Poste Colissimo": cLaPoste,
	"Japan Post EMS": cJapanPost, "AusPost": cAustraliaPost, "Post NL": cPostNL,
	"Hong Kong Post": cHongkongPost,
}

// postalAliases names postal operators of other countries by what sellers
// call them; each resolves to the post_<cc> code of its country.
var postalAliases = map[string]string{
	"Swiss Post": "CH", "Die Post": "CH", "Poste Italiane": "IT", "Correos": "ES",
	"PostNord": "SE", "An Post": "IE", "New Zealand Post": "NZ", "NZ Post": "NZ",
	"Correios": "BR", "Singapore Post": "SG", "SingPost": "SG", "Korea Post": "KR",
	"India Post": "IN", "bpost": "BE", "Austrian Post": "AT", "Post AG": "AT",
	"Poczta Polska": "PL", "Israel Post": "IL", "Correos de Mexico": "MX",
	"Thailand Post": "TH", "Pos Malaysia": "MY", "Chunghwa Post": "TW", "Posti": "FI",
	"Posten Norge": "NO", "CTT Correios": "PT", "ELTA Hellenic Post": "GR",
	"Ukrposhta": "UA", "Russian Post": "RU", "PTT": "TR", "Emirates Post": "AE",
	"Saudi Post": "SA", "South African Post Office": "ZA", "Ceska Posta": "CZ",
	"Magyar Posta": "HU", "Posta Romana": "RO", "Pos Indonesia": "ID", "PHLPost": "PH",
	"Vietnam Post": "VN", "Correo Argentino": "AR", "Correos de Chile": "CL",
	"4-72": "CO", "Serpost": "PE",
}
