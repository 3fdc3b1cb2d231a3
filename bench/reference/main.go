// The reference flow, measured beside StreamLayer: go-containerregistry's stream.Layer pushed with
// remote.WriteLayer, reproduced with Go's standard library alone (the module cannot be fetched here).
// As there: the tar is read once; one goroutine gzips it at BestSpeed while hashing the uncompressed bytes
// (DiffID); the compressed bytes are hashed and counted (Digest, Size) as they are read into a single
// streaming PATCH; PUT ?digest= finishes the upload.
//
//	reference <tar> <registry base URL> <repository>
package main

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"os"
	"time"
)

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func expect(resp *http.Response, status int, what string) {
	if resp.StatusCode != status {
		body, _ := io.ReadAll(resp.Body)
		check(fmt.Errorf("%s: %s %s", what, resp.Status, body))
	}
}

func main() {
	path, base, repo := os.Args[1], os.Args[2], os.Args[3]
	start := time.Now()
	blob, err := os.Open(path)
	check(err)

	// stream.Layer.Compressed(): a goroutine gzips into a pipe, hashing the uncompressed bytes on the way in.
	diffID := sha256.New()
	pr, pw := io.Pipe()
	go func() {
		buf := bufio.NewWriterSize(pw, 2<<16)
		zw, err := gzip.NewWriterLevel(buf, gzip.BestSpeed)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := io.Copy(io.MultiWriter(diffID, zw), blob); err != nil {
			pw.CloseWithError(err)
			return
		}
		if err := zw.Close(); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(buf.Flush())
	}()
	var digest hash.Hash = sha256.New()
	size := &counter{}
	body := io.TeeReader(pr, io.MultiWriter(digest, size))

	// remote.WriteLayer: POST, one streaming PATCH, PUT with the digest.
	resp, err := http.Post(base+"/v2/"+repo+"/blobs/uploads/", "", nil)
	check(err)
	expect(resp, http.StatusAccepted, "POST")
	location, err := resp.Location()
	check(err)
	resp.Body.Close()

	req, err := http.NewRequest(http.MethodPatch, location.String(), io.NopCloser(body))
	check(err)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	check(err)
	expect(resp, http.StatusAccepted, "PATCH")
	location, err = resp.Location()
	check(err)
	resp.Body.Close()

	hexDigest := "sha256:" + hex.EncodeToString(digest.Sum(nil))
	query := location.Query()
	query.Set("digest", hexDigest)
	location.RawQuery = query.Encode()
	req, err = http.NewRequest(http.MethodPut, location.String(), nil)
	check(err)
	resp, err = http.DefaultClient.Do(req)
	check(err)
	expect(resp, http.StatusCreated, "PUT")
	resp.Body.Close()

	fmt.Printf("ELAPSED %f\n", time.Since(start).Seconds())
	fmt.Printf("NOTE size %d (ratio %.2f) diffid sha256:%s digest %s\n", size.n, float64(statSize(path))/float64(size.n), hex.EncodeToString(diffID.Sum(nil)), hexDigest)
}

func statSize(path string) int64 {
	info, err := os.Stat(path)
	check(err)
	return info.Size()
}
