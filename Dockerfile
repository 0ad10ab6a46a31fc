# The image build/release builds without a container daemon (build/image),
# for people who build with Docker:
#
#   docker build --build-arg VERSION=v1.2.3 --build-arg COMMIT=$(git rev-parse HEAD) -t portcullis .
#
# The final stage says what build/image/image.go says; build/image's test
# (TestDockerfileMatchesImage) fails when the two differ.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=devel
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/portcullis/portcullis/internal/buildinfo.version=${VERSION} -X github.com/portcullis/portcullis/internal/buildinfo.commit=${COMMIT}" \
      -o /out/portcullis ./cmd/portcullis \
 && mkdir /out/data

FROM scratch
COPY --from=build /out/portcullis /portcullis
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME /data
EXPOSE 8080/tcp 9090/tcp
ENTRYPOINT ["/portcullis"]
CMD ["serve", "--config", "/etc/portcullis/portcullis.yaml"]
