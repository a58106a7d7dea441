// Package tracking recognises parcel tracking numbers: which carriers issue
// numbers of a given shape, whether the check digit holds, why not, and
// which number the seller most likely meant when it is a typo.
//
// It is pure: no I/O, no network, no regular expressions on the hot path.
// Check does not allocate for a valid number, so that a bulk import of a
// seller's spreadsheet costs a fraction of a microsecond per row. Every
// format that fits a number is kept as a ranked candidate: the answer never
// depends on the order formats are tried in, which is how other libraries
// come to report USPS numbers as FedEx or order numbers as tracking numbers.
//
// docs/tracking.md lists the formats, where each check-digit algorithm is
// documented, the false-positive rates on random digit strings and the
// benchmark figures.
package tracking
