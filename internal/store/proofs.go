package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/shipment"
)

// Image kinds of a proof of delivery, as stored and as in download URLs.
const (
	ImagePhoto     = "photo"
	ImageSignature = "signature"
)

// Proof is a proof_of_delivery row with what lists show of its images.
type Proof struct {
	ID         string  `db:"id"`
	SellerID   string  `db:"seller_id"`
	ChainID    int64   `db:"chain_id"`
	Seq        int64   `db:"seq"`
	ShipmentID *string `db:"shipment_id"`
	// EventID is the carrier event the proof was made from, if any.
	EventID             *int64    `db:"event_id"`
	DeliveredAt         time.Time `db:"delivered_at"`
	SignedBy            string    `db:"signed_by"`
	Latitude            *float64  `db:"latitude"`
	Longitude           *float64  `db:"longitude"`
	LocationDescription string    `db:"location_description"`
	PhotoSHA256         string    `db:"photo_sha256"`
	SignatureSHA256     string    `db:"signature_sha256"`
	CarrierReference    string    `db:"carrier_reference"`
	Source              string    `db:"source"`
	RecordedAt          time.Time `db:"recorded_at"`
	ContentHash         []byte    `db:"content_hash"`
	ChainHash           []byte    `db:"chain_hash"`
	// The stored images' types and sizes ("" and 0 without one).
	PhotoType      string `db:"photo_type"`
	PhotoBytes     int64  `db:"photo_bytes"`
	SignatureType  string `db:"signature_type"`
	SignatureBytes int64  `db:"signature_bytes"`
	// EventPhotoURL is the carrier's photo URL of the event the proof was
	// made from.
	EventPhotoURL string `db:"event_photo_url"`
	// PhotoChanged and SignatureChanged are set by ReadChain when the
	// stored bytes no longer hash to the recorded digest.
	PhotoChanged     bool `db:"photo_changed"`
	SignatureChanged bool `db:"signature_changed"`
	// Number is the normalised number of the proof's chain ("" for a
	// shipment's own chain), for grouping lists.
	Number string `db:"chain_number"`
}

// Record returns the proof as it is hashed into its chain.
func (p Proof) Record() evidence.ProofRecord {
	return evidence.ProofRecord{
		ID:                  p.ID,
		DeliveredAt:         p.DeliveredAt,
		SignedBy:            p.SignedBy,
		Latitude:            p.Latitude,
		Longitude:           p.Longitude,
		LocationDescription: p.LocationDescription,
		PhotoSHA256:         p.PhotoSHA256,
		SignatureSHA256:     p.SignatureSHA256,
		CarrierReference:    p.CarrierReference,
		Source:              shipment.Source(p.Source),
		RecordedAt:          p.RecordedAt,
	}
}

const proofColumns = `p.id, p.seller_id, p.chain_id, p.seq, p.shipment_id, p.event_id, p.delivered_at, p.signed_by,
	p.latitude, p.longitude, p.location_description, p.photo_sha256, p.signature_sha256, p.carrier_reference,
	p.source, p.recorded_at, p.content_hash, p.chain_hash,
	coalesce(ph.content_type, '') AS photo_type, coalesce(octet_length(ph.data), 0) AS photo_bytes,
	coalesce(sg.content_type, '') AS signature_type, coalesce(octet_length(sg.data), 0) AS signature_bytes,
	coalesce(ev.photo_url, '') AS event_photo_url, c.normalized_tracking_number AS chain_number`

const proofFrom = `FROM proof_of_delivery p
	JOIN evidence_chains c ON c.id = p.chain_id
	LEFT JOIN proof_images ph ON ph.seller_id = p.seller_id AND ph.proof_id = p.id AND ph.kind = 'photo'
	LEFT JOIN proof_images sg ON sg.seller_id = p.seller_id AND sg.proof_id = p.id AND sg.kind = 'signature'
	LEFT JOIN tracking_events ev ON ev.id = p.event_id AND ev.seller_id = p.seller_id`

// Image is a stored photo or signature.
type Image struct {
	ContentType string `db:"content_type"`
	Data        []byte `db:"data"`
}

// NewProof is a proof of delivery to append to a chain.
type NewProof struct {
	Chain ChainRef
	// ShipmentID is the shipment it is recorded for, "" for a proof made
	// from a carrier event.
	ShipmentID string
	// EventID and Origin are set for a proof made from a carrier event:
	// a proof whose Origin the seller already has is skipped.
	EventID             *int64
	Origin              []byte
	DeliveredAt         time.Time
	SignedBy            string
	Latitude            *float64
	Longitude           *float64
	LocationDescription string
	CarrierReference    string
	Source              shipment.Source
	// Photo and Signature are nil without an image; their content type has
	// been sniffed from the bytes by the caller.
	Photo     *Image
	Signature *Image
}

// InsertProofs appends proofs of delivery to their chains, with their
// images, and returns the rows inserted (proofs with an Origin already
// stored are skipped). The hashes are computed here, under the chain
// locks held until tx ends.
func (s *Store) InsertProofs(ctx context.Context, tx *sqlx.Tx, sellerID string, ps []NewProof) ([]Proof, error) {
	out := []Proof{}
	if len(ps) == 0 {
		return out, nil
	}
	refs := make([]ChainRef, len(ps))
	origins := []string{}
	for i, p := range ps {
		refs[i] = p.Chain
		if p.Origin != nil {
			origins = append(origins, hex.EncodeToString(p.Origin))
		}
	}
	chains, err := lockChains(ctx, tx, sellerID, refs)
	if err != nil {
		return nil, fmt.Errorf("insert proofs: %w", err)
	}
	var pre struct {
		Known pq.StringArray `db:"known"`
		IDs   pq.StringArray `db:"ids"`
		Now   time.Time      `db:"now"`
	}
	err = tx.GetContext(ctx, &pre, `SELECT
		coalesce((SELECT array_agg(encode(origin, 'hex')) FROM proof_of_delivery
			WHERE seller_id = $1 AND origin = ANY(SELECT decode(o, 'hex') FROM unnest($2::text[]) AS o)), '{}') AS known,
		(SELECT array_agg(gen_random_uuid()::text) FROM generate_series(1, $3)) AS ids,
		now() AS now`, sellerID, pq.Array(origins), len(ps))
	if err != nil {
		return nil, fmt.Errorf("insert proofs: %w", mapErr(err))
	}
	skip := map[string]bool{}
	for _, o := range pre.Known {
		skip[o] = true
	}
	var rows []proofRow
	for i, np := range ps {
		if np.Origin != nil {
			o := hex.EncodeToString(np.Origin)
			if skip[o] {
				continue
			}
			skip[o] = true
		}
		p := Proof{
			ID: pre.IDs[i], SellerID: sellerID, EventID: np.EventID, DeliveredAt: micro(np.DeliveredAt),
			SignedBy: np.SignedBy, Latitude: np.Latitude, Longitude: np.Longitude,
			LocationDescription: np.LocationDescription, CarrierReference: np.CarrierReference,
			Source: string(np.Source), RecordedAt: micro(pre.Now), Number: np.Chain.Number,
		}
		if np.ShipmentID != "" {
			p.ShipmentID = &np.ShipmentID
		}
		if np.Photo != nil {
			p.PhotoSHA256, p.PhotoType, p.PhotoBytes = digest(np.Photo.Data), np.Photo.ContentType, int64(len(np.Photo.Data))
		}
		if np.Signature != nil {
			p.SignatureSHA256, p.SignatureType, p.SignatureBytes = digest(np.Signature.Data), np.Signature.ContentType, int64(len(np.Signature.Data))
		}
		chain := chains[np.Chain]
		seq, content, link := chain.append(p.Record())
		p.ChainID, p.Seq, p.ContentHash, p.ChainHash = chain.ID, seq, content[:], link[:]
		rows = append(rows, proofRow{Proof: p, origin: np.Origin, photo: np.Photo, signature: np.Signature})
		out = append(out, p)
	}
	if len(rows) == 0 {
		return out, nil
	}
	if err := insertProofRows(ctx, tx, sellerID, rows); err != nil {
		return nil, err
	}
	if err := saveChains(ctx, tx, chains); err != nil {
		return nil, fmt.Errorf("insert proofs: %w", err)
	}
	return out, nil
}

type proofRow struct {
	Proof
	origin           []byte
	photo, signature *Image
}

func insertProofRows(ctx context.Context, tx *sqlx.Tx, sellerID string, rows []proofRow) error {
	n := len(rows)
	var (
		ids, shipments, origins, signers, locs, photos, sigs, refs, sources = make([]string, n), make([]*string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		chainIDs, seqs                                                      = make([]int64, n), make([]int64, n)
		events                                                              = make([]*int64, n)
		delivered, recorded                                                 = make([]time.Time, n), make([]time.Time, n)
		lats, lons                                                          = make([]*float64, n), make([]*float64, n)
		contents, links                                                     = make([][]byte, n), make([][]byte, n)
	)
	var imgProofs, imgKinds, imgTypes []string
	var imgData [][]byte
	for i, r := range rows {
		ids[i], chainIDs[i], seqs[i], shipments[i], events[i] = r.ID, r.ChainID, r.Seq, r.ShipmentID, r.EventID
		origins[i], delivered[i], signers[i], lats[i], lons[i] = hex.EncodeToString(r.origin), r.DeliveredAt, r.SignedBy, r.Latitude, r.Longitude
		locs[i], photos[i], sigs[i], refs[i], sources[i] = r.LocationDescription, r.PhotoSHA256, r.SignatureSHA256, r.CarrierReference, r.Source
		recorded[i], contents[i], links[i] = r.RecordedAt, r.ContentHash, r.ChainHash
		for kind, img := range map[string]*Image{ImagePhoto: r.photo, ImageSignature: r.signature} {
			if img != nil {
				imgProofs, imgKinds, imgTypes, imgData = append(imgProofs, r.ID), append(imgKinds, kind), append(imgTypes, img.ContentType), append(imgData, img.Data)
			}
		}
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO proof_of_delivery (seller_id, id, chain_id, seq, shipment_id, event_id, origin, delivered_at,
			signed_by, latitude, longitude, location_description, photo_sha256, signature_sha256, carrier_reference,
			source, recorded_at, content_hash, chain_hash)
		SELECT $1, id, chain_id, seq, shipment_id, event_id, decode(nullif(origin, ''), 'hex'), delivered_at,
			signed_by, latitude, longitude, location_description, photo_sha256, signature_sha256, carrier_reference,
			source, recorded_at, content_hash, chain_hash
		FROM unnest($2::uuid[], $3::bigint[], $4::bigint[], $5::uuid[], $6::bigint[], $7::text[], $8::timestamptz[],
			$9::text[], $10::float8[], $11::float8[], $12::text[], $13::text[], $14::text[], $15::text[],
			$16::text[], $17::timestamptz[], $18::bytea[], $19::bytea[])
			AS u(id, chain_id, seq, shipment_id, event_id, origin, delivered_at, signed_by, latitude, longitude,
				location_description, photo_sha256, signature_sha256, carrier_reference, source, recorded_at,
				content_hash, chain_hash)`,
		sellerID, pq.Array(ids), pq.Array(chainIDs), pq.Array(seqs), pq.Array(shipments), pq.Array(events),
		pq.Array(origins), pq.Array(delivered), pq.Array(signers), pq.Array(lats), pq.Array(lons), pq.Array(locs),
		pq.Array(photos), pq.Array(sigs), pq.Array(refs), pq.Array(sources), pq.Array(recorded),
		pq.ByteaArray(contents), pq.ByteaArray(links))
	if err != nil {
		return fmt.Errorf("insert proofs: %w", mapErr(err))
	}
	if len(imgProofs) == 0 {
		return nil
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO proof_images (seller_id, proof_id, kind, content_type, data)
		SELECT $1, * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::bytea[])`,
		sellerID, pq.Array(imgProofs), pq.Array(imgKinds), pq.Array(imgTypes), pq.ByteaArray(imgData))
	if err != nil {
		return fmt.Errorf("insert proof images: %w", mapErr(err))
	}
	return nil
}

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// EventProofs returns the proofs of delivery that carrier events carry: a
// DELIVERED event with a signer or a photo URL makes one, linked to the
// stored event with its fingerprint (the event may be a resend that
// brought the signature: fingerprints leave signer and photo out). Origin
// makes the same signer and photo on a resend of the event a no-op.
func (s *Store) EventProofs(ctx context.Context, tx *sqlx.Tx, sellerID string, evs []NewEvent) ([]NewProof, error) {
	out := []NewProof{}
	var fps [][]byte
	var carrying []NewEvent
	for _, ne := range evs {
		e := ne.Event
		if e.Status != shipment.StatusDelivered || (e.SignedBy == "" && e.PhotoURL == "") {
			continue
		}
		fp := shipment.Fingerprint(sellerID, ne.Normalized, e)
		fps, carrying = append(fps, fp[:]), append(carrying, ne)
	}
	if len(carrying) == 0 {
		return out, nil
	}
	rows := []struct {
		ID          int64  `db:"id"`
		Fingerprint []byte `db:"fingerprint"`
	}{}
	err := sqlx.SelectContext(ctx, tx, &rows, `SELECT id, fingerprint FROM tracking_events
		WHERE seller_id = $1 AND fingerprint = ANY($2)`, sellerID, pq.ByteaArray(fps))
	if err != nil {
		return nil, fmt.Errorf("event proofs: %w", mapErr(err))
	}
	byFP := map[string]int64{}
	for _, r := range rows {
		byFP[string(r.Fingerprint)] = r.ID
	}
	for i, ne := range carrying {
		id, ok := byFP[string(fps[i])]
		if !ok {
			continue // not stored: nothing to prove
		}
		e := ne.Event
		out = append(out, NewProof{
			Chain: ChainRef{Number: ne.Normalized}, EventID: &id, Origin: origin(fps[i], e.SignedBy, e.PhotoURL),
			DeliveredAt: e.OccurredAt, SignedBy: e.SignedBy, Source: e.Source,
		})
	}
	return out, nil
}

// origin is the key of a proof made from an event: the event's
// fingerprint with the signer and photo URL, length-prefixed.
func origin(fp []byte, signer, photo string) []byte {
	h := sha256.New()
	for _, f := range [][]byte{[]byte("shipwatch-event-proof-v1"), fp, []byte(signer), []byte(photo)} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		h.Write(f)
	}
	return h.Sum(nil)
}

// ProofsOf returns the proofs of delivery in the seller's given chains,
// in chain order, keyed by chain. Dataloaders batch through it.
func (s *Store) ProofsOf(ctx context.Context, sellerID string, refs []ChainRef) (map[ChainRef][]Proof, error) {
	var numbers, shipments []string
	for _, r := range refs {
		if r.Number != "" {
			numbers = append(numbers, r.Number)
		} else {
			shipments = append(shipments, r.ShipmentID)
		}
	}
	rows := []Proof{}
	err := s.db.SelectContext(ctx, &rows, `SELECT `+proofColumns+` `+proofFrom+`
		WHERE c.seller_id = $1 AND p.seller_id = $1
			AND ((c.shipment_id IS NULL AND c.normalized_tracking_number = ANY($2))
				OR c.shipment_id = ANY($3::uuid[]))
		ORDER BY p.chain_id, p.seq`, sellerID, pq.Array(numbers), pq.Array(shipments))
	if err != nil {
		return nil, fmt.Errorf("proofs: %w", mapErr(err))
	}
	out := map[ChainRef][]Proof{}
	for _, p := range rows {
		ref := ChainRef{Number: p.Number}
		if p.Number == "" && p.ShipmentID != nil {
			ref.ShipmentID = *p.ShipmentID
		}
		out[ref] = append(out[ref], p)
	}
	return out, nil
}

// Proof returns one of the seller's proofs of delivery.
func (s *Store) Proof(ctx context.Context, sellerID, id string) (Proof, error) {
	var p Proof
	err := s.db.GetContext(ctx, &p, `SELECT `+proofColumns+` `+proofFrom+` WHERE p.seller_id = $1 AND p.id = $2`, sellerID, id)
	if err != nil {
		return Proof{}, fmt.Errorf("proof: %w", mapErr(err))
	}
	return p, nil
}

// ProofImage returns a photo or signature of one of the seller's proofs.
func (s *Store) ProofImage(ctx context.Context, sellerID, proofID, kind string) (Image, error) {
	var img Image
	err := s.db.GetContext(ctx, &img, `SELECT content_type, data FROM proof_images
		WHERE seller_id = $1 AND proof_id = $2 AND kind = $3`, sellerID, proofID, kind)
	if err != nil {
		return Image{}, fmt.Errorf("proof image: %w", mapErr(err))
	}
	return img, nil
}

// ProofImages returns the images of the seller's given proofs, keyed by
// proof id and then kind.
func (s *Store) ProofImages(ctx context.Context, q sqlx.QueryerContext, sellerID string, proofIDs []string) (map[string]map[string]Image, error) {
	rows := []struct {
		ProofID string `db:"proof_id"`
		Kind    string `db:"kind"`
		Image
	}{}
	err := sqlx.SelectContext(ctx, q, &rows, `SELECT proof_id, kind, content_type, data FROM proof_images
		WHERE seller_id = $1 AND proof_id = ANY($2::uuid[])`, sellerID, pq.Array(proofIDs))
	if err != nil {
		return nil, fmt.Errorf("proof images: %w", mapErr(err))
	}
	out := map[string]map[string]Image{}
	for _, r := range rows {
		if out[r.ProofID] == nil {
			out[r.ProofID] = map[string]Image{}
		}
		out[r.ProofID][r.Kind] = r.Image
	}
	return out, nil
}
