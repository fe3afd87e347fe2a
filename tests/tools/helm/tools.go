//go:build tools

// Package tools pins the helm command in go.mod and go.sum, so that
// `go build helm.sh/helm/v4/cmd/helm` in this module builds the recorded
// version.
package tools

import _ "helm.sh/helm/v4/cmd/helm"
