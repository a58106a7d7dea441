# Multi-stage build: compile in the Go image, run from a small base.
# The Go version is go.mod's (a test checks they agree).
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/shipwatch ./cmd/shipwatch

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/shipwatch /usr/local/bin/shipwatch
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/shipwatch"]
CMD ["serve"]
