package graph

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shipwatch/shipwatch/graph/generated"
	"github.com/shipwatch/shipwatch/graph/model"
	"github.com/shipwatch/shipwatch/internal/auth"
	"github.com/shipwatch/shipwatch/internal/ingest"
	"github.com/shipwatch/shipwatch/internal/store"
)

// ImportProgressInterval is how often shipmentImportProgress looks at the
// import.
const ImportProgressInterval = 500 * time.Millisecond

// ShipmentImport returns the ShipmentImport field resolvers.
func (r *Resolver) ShipmentImport() generated.ShipmentImportResolver {
	return &shipmentImportResolver{r}
}

// ShipmentImportError returns the ShipmentImportError field resolvers.
func (r *Resolver) ShipmentImportError() generated.ShipmentImportErrorResolver {
	return &shipmentImportErrorResolver{r}
}

type shipmentImportResolver struct{ *Resolver }
type shipmentImportErrorResolver struct{ *Resolver }

func (r *mutationResolver) UploadShipments(ctx context.Context, file graphql.Upload, format *model.ShipmentFileFormat) (*store.Import, error) {
	s, ok := auth.SellerFrom(ctx)
	if !ok {
		return nil, ErrUnauthenticated
	}
	f := ingest.FormatAuto
	if format != nil {
		f = ingest.Format(*format)
	}
	im, err := r.Imports.Upload(ctx, s, file.Filename, f, file.File)
	if err != nil {
		return nil, err
	}
	return &im, nil
}

func (r *queryResolver) ShipmentImport(ctx context.Context, id string) (*store.Import, error) {
	return bySeller(ctx, func(sellerID string) (store.Import, error) { return r.Imports.Import(ctx, sellerID, id) })
}

func (r *queryResolver) ShipmentImports(ctx context.Context, first *int, after *string) (*model.ShipmentImportConnection, error) {
	sellerID, limit, cursor, err := sellerPage(ctx, first, after)
	if err != nil {
		return nil, err
	}
	page, err := r.Store.Imports(ctx, sellerID, limit, cursor)
	if err != nil {
		return nil, err
	}
	conn := &model.ShipmentImportConnection{Edges: []*model.ShipmentImportEdge{}, PageInfo: pageInfo(page, cursor), SellerID: sellerID}
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.ShipmentImportEdge{Cursor: page.Cursors[i].Encode(), Node: &page.Items[i]})
	}
	return conn, nil
}

func (r *subscriptionResolver) ShipmentImportProgress(ctx context.Context, id string) (<-chan *store.Import, error) {
	sellerID, err := seller(ctx)
	if err != nil {
		return nil, err
	}
	updates, err := r.Imports.Watch(ctx, sellerID, id, ImportProgressInterval)
	if err != nil {
		return nil, err
	}
	out := make(chan *store.Import)
	go func() {
		defer close(out)
		for im := range updates {
			select {
			case out <- &im:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (r *shipmentImportResolver) Format(_ context.Context, obj *store.Import) (model.ShipmentFileFormat, error) {
	return model.ShipmentFileFormat(obj.Format), nil
}

func (r *shipmentImportResolver) Status(_ context.Context, obj *store.Import) (model.ShipmentImportStatus, error) {
	return model.ShipmentImportStatus(obj.Status), nil
}

func (r *shipmentImportResolver) Warnings(_ context.Context, obj *store.Import) ([]string, error) {
	if obj.Warnings == nil {
		return []string{}, nil
	}
	return obj.Warnings, nil
}

func (r *shipmentImportResolver) Failure(_ context.Context, obj *store.Import) (*string, error) {
	return nullable(obj.Failure), nil
}

func (r *shipmentImportResolver) Errors(ctx context.Context, obj *store.Import, first *int, after *string) (*model.ShipmentImportErrorConnection, error) {
	limit, cursor, err := pageArgs(first, after)
	if err != nil {
		return nil, err
	}
	page, err := r.Store.ImportErrors(ctx, obj.SellerID, obj.ID, limit, cursor)
	if err != nil {
		return nil, err
	}
	conn := &model.ShipmentImportErrorConnection{
		Edges: []*model.ShipmentImportErrorEdge{}, PageInfo: pageInfo(page, cursor), TotalCount: obj.Rejected,
	}
	for i := range page.Items {
		conn.Edges = append(conn.Edges, &model.ShipmentImportErrorEdge{Cursor: page.Cursors[i].Encode(), Node: &page.Items[i]})
	}
	return conn, nil
}

func (r *shipmentImportErrorResolver) Column(_ context.Context, obj *store.ImportError) (*string, error) {
	return nullable(obj.Column), nil
}

// ShipmentImportConnection returns the ShipmentImportConnection field resolvers.
func (r *Resolver) ShipmentImportConnection() generated.ShipmentImportConnectionResolver {
	return &shipmentImportConnectionResolver{r}
}

type shipmentImportConnectionResolver struct{ *Resolver }

func (r *shipmentImportConnectionResolver) TotalCount(ctx context.Context, obj *model.ShipmentImportConnection) (int, error) {
	return r.Store.CountImports(ctx, obj.SellerID)
}
