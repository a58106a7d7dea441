package graph

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/evidence"
	"github.com/shipwatch/shipwatch/internal/monitor"
	"github.com/shipwatch/shipwatch/internal/shipment"
	"github.com/shipwatch/shipwatch/internal/store"
)

// EvidenceOptions configures proofs of delivery and evidence downloads.
type EvidenceOptions struct {
	// MaxImageBytes bounds one photo or signature upload.
	MaxImageBytes int64
	// PublicURL prefixes download URLs ("" makes them paths).
	PublicURL string
}

// ProofOfDelivery returns the ProofOfDelivery field resolvers.
func (r *Resolver) ProofOfDelivery() generated.ProofOfDeliveryResolver {
	return &proofResolver{r}
}

// EvidenceVerification returns the EvidenceVerification field resolvers.
func (r *Resolver) EvidenceVerification() generated.EvidenceVerificationResolver {
	return &verificationResolver{r}
}

type proofResolver struct{ *Resolver }
type verificationResolver struct{ *Resolver }

func (r *mutationResolver) RecordProofOfDelivery(ctx context.Context, input model.ProofOfDeliveryInput, photo, signature *graphql.Upload) (*store.Proof, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	in := shipment.ProofInput{
		ShipmentID: input.ShipmentID, DeliveredAt: input.DeliveredAt, SignedBy: deref(input.SignedBy),
		CarrierReference: deref(input.CarrierReference),
	}
	if l := input.Location; l != nil {
		in.Latitude, in.Longitude, in.LocationDescription = l.Latitude, l.Longitude, deref(l.Description)
	}
	if in.Photo, err = readUpload("photo", photo, r.Evidence.MaxImageBytes); err != nil {
		return nil, err
	}
	if in.Signature, err = readUpload("signature", signature, r.Evidence.MaxImageBytes); err != nil {
		return nil, err
	}
	p, err := r.Monitor.RecordProof(ctx, sellerID, in, r.Evidence.MaxImageBytes, time.Now())
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// readUpload reads an uploaded file, at most one byte past limit so that
// the use case can refuse it without a huge file being held in memory.
func readUpload(field string, u *graphql.Upload, limit int64) ([]byte, error) {
	if u == nil {
		return nil, nil
	}
	if u.Size > limit {
		return nil, badInput(field, fmt.Sprintf("is %d bytes, above the limit of %d", u.Size, limit))
	}
	b, err := io.ReadAll(io.LimitReader(u.File, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s upload: %w", field, err)
	}
	return b, nil
}

func (r *queryResolver) VerifyShipmentEvidence(ctx context.Context, shipmentID string) (*monitor.EvidenceCheck, error) {
	return bySeller(ctx, func(sellerID string) (monitor.EvidenceCheck, error) {
		return r.Monitor.VerifyShipmentEvidence(ctx, sellerID, shipmentID, time.Now())
	})
}

func (r *shipmentResolver) ProofOfDelivery(ctx context.Context, obj *store.Shipment) ([]*store.Proof, error) {
	list, err := r.proofsOf(ctx, obj)
	if err != nil {
		return nil, err
	}
	return ptrs(list), nil
}

func (r *proofResolver) ShipmentID(_ context.Context, obj *store.Proof) (*string, error) {
	return obj.ShipmentID, nil
}

func (r *proofResolver) EventID(_ context.Context, obj *store.Proof) (*string, error) {
	if obj.EventID == nil {
		return nil, nil
	}
	id := strconv.FormatInt(*obj.EventID, 10)
	return &id, nil
}

func (r *proofResolver) SignedBy(_ context.Context, obj *store.Proof) (*string, error) {
	return nullable(obj.SignedBy), nil
}

func (r *proofResolver) Location(_ context.Context, obj *store.Proof) (*model.ProofLocation, error) {
	if obj.Latitude == nil && obj.LocationDescription == "" {
		return nil, nil
	}
	return &model.ProofLocation{Latitude: obj.Latitude, Longitude: obj.Longitude, Description: nullable(obj.LocationDescription)}, nil
}

func (r *proofResolver) Photo(_ context.Context, obj *store.Proof) (*model.ProofImage, error) {
	return r.image(obj, store.ImagePhoto, obj.PhotoType, obj.PhotoBytes, obj.PhotoSHA256), nil
}

func (r *proofResolver) Signature(_ context.Context, obj *store.Proof) (*model.ProofImage, error) {
	return r.image(obj, store.ImageSignature, obj.SignatureType, obj.SignatureBytes, obj.SignatureSHA256), nil
}

func (r *proofResolver) image(p *store.Proof, kind, contentType string, size int64, sum string) *model.ProofImage {
	if contentType == "" {
		return nil
	}
	return &model.ProofImage{ContentType: contentType, Bytes: int(size), Sha256: sum,
		URL: monitor.ProofImageURL(r.Evidence.PublicURL, p.ID, kind)}
}

func (r *proofResolver) CarrierPhotoURL(_ context.Context, obj *store.Proof) (*string, error) {
	return nullable(obj.EventPhotoURL), nil
}

func (r *proofResolver) CarrierReference(_ context.Context, obj *store.Proof) (*string, error) {
	return nullable(obj.CarrierReference), nil
}

func (r *proofResolver) Source(_ context.Context, obj *store.Proof) (model.EvidenceSource, error) {
	return model.EvidenceSource(obj.Source), nil
}

func (r *proofResolver) ContentHash(_ context.Context, obj *store.Proof) (string, error) {
	return hex.EncodeToString(obj.ContentHash), nil
}

func (r *proofResolver) ChainHash(_ context.Context, obj *store.Proof) (string, error) {
	return hex.EncodeToString(obj.ChainHash), nil
}

// breaks maps the evidence package's reasons to the API's enum.
var breaks = map[evidence.Reason]model.EvidenceBreak{
	evidence.ReasonContentChanged: model.EvidenceBreakContentChanged,
	evidence.ReasonLinkChanged:    model.EvidenceBreakChainLinkChanged,
	evidence.ReasonImageChanged:   model.EvidenceBreakImageChanged,
	evidence.ReasonRecordsMissing: model.EvidenceBreakRecordsMissing,
	evidence.ReasonHeadChanged:    model.EvidenceBreakHeadChanged,

	evidence.ReasonBehindCheckpoint:  model.EvidenceBreakBehindCheckpoint,
	evidence.ReasonCheckpointInvalid: model.EvidenceBreakCheckpointInvalid,
}

func (r *verificationResolver) FirstBroken(_ context.Context, obj *monitor.EvidenceCheck) (*model.BrokenEvidenceRecord, error) {
	b := obj.FirstBroken
	if b == nil {
		return nil, nil
	}
	out := &model.BrokenEvidenceRecord{Index: b.Index, Reason: breaks[b.Reason], ID: nullable(b.ID), Chain: nullable(b.Chain)}
	msg := fmt.Sprintf("record %d: %s", b.Index+1, b.Reason)
	if b.Kind != "" {
		kind := model.EvidenceRecordKindEvent
		if b.Kind == evidence.KindProof {
			kind = model.EvidenceRecordKindProof
		}
		out.Kind = &kind
		msg = fmt.Sprintf("%s %s (record %d): %s", b.Kind, b.ID, b.Index+1, b.Reason)
	}
	if b.Detail != "" {
		msg = b.Detail
	}
	out.Message = msg
	return out, nil
}

func (r *verificationResolver) Head(_ context.Context, obj *monitor.EvidenceCheck) (*string, error) {
	return nullable(obj.Head), nil
}
