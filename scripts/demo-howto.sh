#!/usr/bin/env bash
# Printed at the end of `make demo`: where to look.
wpfleet="$1"; fleet="$2"
cat <<MSG

The demo fleet is running. Open the sites (any browser on this machine resolves *.localhost):
  dev:  http://goldencrust.wpdev.localhost:8080/   (also sunsetbistro, sterlinglaw)
  sit:  http://goldencrust.wpsit.localhost:8081/   (behind basic auth)
  from a shell: curl -H 'Host: goldencrust.wpdev.localhost:8080' http://127.0.0.1:8080/

Credentials are shown only on request:
  $wpfleet --fleet $fleet credentials --env sit                  # sit's basic auth
  $wpfleet --fleet $fleet credentials goldencrust --env dev      # WordPress admin login

Production needs two approvers (and the Johannesburg office hours window):
  $wpfleet --fleet $fleet promote goldencrust --to prod            # exits 6: request a-...
  $wpfleet --fleet $fleet approve a-... --as tebogotseka           # then --as lead-devops-engineer

More: $wpfleet --fleet $fleet status | history | verify goldencrust --env dev | --help
Stop: make demo-down
MSG
