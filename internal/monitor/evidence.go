package monitor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// EvidenceCheck is the verification of a shipment's evidence chain.
type EvidenceCheck struct {
	evidence.Verification
	// Head is the chain hash the store keeps for the chain's last record,
	// hex ("" when the shipment has no evidence yet): what a pack already
	// sent can be compared with later.
	Head       string
	VerifiedAt time.Time
}

// VerifyShipmentEvidence recomputes the hash chain of one of the seller's
// shipments from its stored records, images and head.
func (s *Service) VerifyShipmentEvidence(ctx context.Context, sellerID, shipmentID string, now time.Time) (EvidenceCheck, error) {
	sh, err := s.store.Shipment(ctx, sellerID, shipmentID)
	if err != nil {
		return EvidenceCheck{}, fmt.Errorf("verify evidence: %w", err)
	}
	var chain store.Chain
	var v evidence.Verification
	err = s.store.InSnapshot(ctx, func(tx *sqlx.Tx) error {
		if chain, err = s.store.ReadChain(ctx, tx, sellerID, store.ChainOf(sh)); err != nil {
			return err
		}
		v, _, err = s.auditChain(ctx, tx, sellerID, chain)
		return err
	})
	if err != nil {
		return EvidenceCheck{}, fmt.Errorf("verify evidence: %w", err)
	}
	return EvidenceCheck{Verification: v, Head: headHex(chain), VerifiedAt: now}, nil
}

// auditChain verifies a chain against its records, head and images, then
// against the seller's latest checkpoint, whose signature it checks with
// the server's key; it returns the chain's anchor for a pack too.
func (s *Service) auditChain(ctx context.Context, q sqlx.QueryerContext, sellerID string, chain store.Chain) (evidence.Verification, *evidence.Anchor, error) {
	v := chain.Audit()
	records := chain.Stored()
	anchor, broken, err := s.anchorChain(ctx, q, sellerID, chain, records)
	if err != nil {
		return evidence.Verification{}, nil, err
	}
	if v.Intact && broken != nil {
		v.Intact, v.FirstBroken = false, broken
	}
	return v, anchor, nil
}

func headHex(c store.Chain) string {
	if c.ID == 0 {
		return ""
	}
	return hex.EncodeToString(c.Head)
}

// ProofImageURL is where a proof's photo or signature downloads from
// (GET with the seller's API key): under publicURL when the server has
// one, else a path.
func ProofImageURL(publicURL, proofID, kind string) string {
	return publicURL + "/proofs/" + proofID + "/" + kind
}

// EvidencePackURL is where a dispute's evidence pack downloads from, as
// "pdf" or "json".
func EvidencePackURL(publicURL, disputeID, format string) string {
	return publicURL + "/disputes/" + disputeID + "/evidence." + format
}

// ImageURL says where a proof's image can be downloaded ("" for none).
type ImageURL func(proofID, kind string) string

// EvidencePack builds the evidence pack of one of the seller's disputes as
// of now: the dispute, the order and shipment, the delivery against its
// promise, the whole evidence chain (timeline and proofs with their images)
// read in one snapshot and its verification. Generating it is recorded on
// the dispute, which the DISPUTE_DUE_SOON rule reads.
func (s *Service) EvidencePack(ctx context.Context, seller store.Seller, disputeID string, now time.Time, imageURL ImageURL) (evidence.Pack, error) {
	d, err := s.store.Dispute(ctx, seller.ID, disputeID)
	if err != nil {
		return evidence.Pack{}, fmt.Errorf("evidence pack: %w", err)
	}
	sh, err := s.store.Shipment(ctx, seller.ID, d.ShipmentID)
	if err != nil {
		return evidence.Pack{}, fmt.Errorf("evidence pack: %w", err)
	}
	var chain store.Chain
	var images map[string]map[string]store.Image
	var v evidence.Verification
	var anchor *evidence.Anchor
	err = s.store.InSnapshot(ctx, func(tx *sqlx.Tx) error {
		if chain, err = s.store.ReadChain(ctx, tx, seller.ID, store.ChainOf(sh)); err != nil {
			return err
		}
		if v, anchor, err = s.auditChain(ctx, tx, seller.ID, chain); err != nil {
			return err
		}
		ids := make([]string, len(chain.Proofs))
		for i, p := range chain.Proofs {
			ids[i] = p.ID
		}
		images, err = s.store.ProofImages(ctx, tx, seller.ID, ids)
		return err
	})
	if err != nil {
		return evidence.Pack{}, fmt.Errorf("evidence pack: %w", err)
	}
	if d, err = s.store.RecordPack(ctx, seller.ID, d.ID, now); err != nil {
		return evidence.Pack{}, fmt.Errorf("evidence pack: %w", err)
	}
	timeline, proofs, _ := evidence.Chain(chain.Stored())
	for i := range proofs {
		p := chain.Proofs[i]
		proofs[i].Photo = packImage(images[p.ID][store.ImagePhoto], imageURL(p.ID, store.ImagePhoto), p.PhotoType != "")
		proofs[i].Signature = packImage(images[p.ID][store.ImageSignature], imageURL(p.ID, store.ImageSignature), p.SignatureType != "")
		if p.EventID != nil {
			proofs[i].EventID = strconv.FormatInt(*p.EventID, 10)
		}
		if proofs[i].Photo == nil && p.EventPhotoURL != "" {
			proofs[i].Photo = &evidence.Image{URL: p.EventPhotoURL}
		}
	}
	deliveredAt := sh.DeliveredAt
	if deliveredAt == nil && len(chain.Proofs) > 0 {
		deliveredAt = &chain.Proofs[0].DeliveredAt
	}
	pack := evidence.Pack{
		GeneratedAt:  now.UTC(),
		Seller:       evidence.Seller{ID: seller.ID, Name: seller.Name, TimeZone: seller.TimeZone},
		Dispute:      packDispute(d),
		Shipment:     packShipment(sh),
		Promise:      evidence.NewPromise(sh.DeliverBy, deliveredAt, now),
		Timeline:     timeline,
		Proofs:       proofs,
		Verification: v,
		Checkpoint:   anchor,
	}
	pack.Findings = evidence.Findings(pack)
	return pack, nil
}

// packImage is a stored image as the pack carries it, nil when the proof
// has none. An image whose bytes are gone is still named, by URL only.
func packImage(img store.Image, url string, stored bool) *evidence.Image {
	if img.Data == nil {
		if !stored {
			return nil
		}
		return &evidence.Image{URL: url}
	}
	out, err := evidence.NewImage(img.Data, url)
	if err != nil {
		// Bytes that no longer sniff as an image: attach them as they are,
		// the PDF draws a placeholder and the digest check tells the rest.
		return &evidence.Image{ContentType: img.ContentType, SHA256: hashHex(img.Data), Bytes: img.Data, URL: url}
	}
	return &out
}

func packDispute(d store.Dispute) evidence.Dispute {
	out := evidence.Dispute{
		ID: d.ID, Kind: d.Kind, ExternalReference: d.ExternalReference, RespondBy: d.RespondBy,
		Currency: d.Currency, Status: d.Status, OpenedAt: d.OpenedAt,
	}
	if d.Amount != nil {
		out.Amount = *d.Amount
	}
	if d.Outcome != nil {
		out.Status = d.Status + " (" + *d.Outcome + ")"
	}
	return out
}

func packShipment(sh store.Shipment) evidence.Shipment {
	return evidence.Shipment{
		ID: sh.ID, OrderID: sh.OrderID, Carrier: sh.Carrier, TrackingNumber: sh.TrackingNumber,
		Service: sh.Service, ShipBy: sh.ShipBy, ShippedAt: sh.ShippedAt, DeliverBy: sh.DeliverBy,
		DeliveredAt: sh.DeliveredAt, Status: shipment.Status(sh.Status),
		Destination: shipment.Location{PostalCode: sh.DestinationPostalCode, Country: sh.DestinationCountry},
	}
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
