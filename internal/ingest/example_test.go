package ingest_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shipwatch/shipwatch/internal/ingest"
)

func Example() {
	file := "order_id,tracking_number,ship_by\n" +
		"A1,1Z999AA10123456784,2026-11-21\n" +
		"A2,,2026-11-21\n" +
		"A3,9400111206206406260787,31/31/2026\n"
	r, err := ingest.NewReader(strings.NewReader(file), ingest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		row, err := r.Next()
		var rerr *ingest.RowError
		switch {
		case err == io.EOF:
			return
		case errors.As(err, &rerr):
			fmt.Println("rejected:", rerr)
		case err != nil:
			fmt.Println(err)
			return
		default:
			fmt.Println(row.Line, row.OrderID, row.TrackingNumber, row.ShipBy.Format("2006-01-02 15:04:05"))
		}
	}
	// Output:
	// 2 A1 1Z999AA10123456784 2026-11-21 23:59:59
	// rejected: line 3, column tracking_number: required, but empty
	// rejected: line 4, column ship_by: "31/31/2026" is not a date (use 2026-11-21, 11/21/2026 or RFC 3339)
}

func ExampleNewReaderAt() {
	file := "order_id,tracking_number\nA1,T1\nA2,T2\nA3,T3\n"
	r, err := ingest.NewReader(strings.NewReader(file), ingest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := r.Next(); err != nil {
		fmt.Println(err)
		return
	}
	cp := r.Checkpoint() // stored with row A1; then the loader crashes

	// After the restart: open the file at the checkpoint's offset.
	rest := strings.NewReader(file)
	if _, err := rest.Seek(cp.Offset, io.SeekStart); err != nil {
		fmt.Println(err)
		return
	}
	resumed, err := ingest.NewReaderAt(rest, cp, ingest.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		row, err := resumed.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(row.Line, row.OrderID)
	}
	// Output:
	// 3 A2
	// 4 A3
}
