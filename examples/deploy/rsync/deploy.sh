#!/bin/sh
# A plain web server: build with site.yaml's base_url (the address the server publishes the
# site at, subpath included) and copy the site over SSH, for example
#   DEPLOY_TARGET=www@example.org:/var/www/digest/ sh deploy.sh
# digestgen leaves unchanged files untouched (same bytes and modification time), so rsync
# sends only what changed; --delay-updates puts the new files in place together at the end
# and --delete-after removes old ones only then, so readers never see half a site.
# BASE_URL, when set, replaces site.yaml's base_url (a staging server, say). Point the
# server's 404 page at 404.html (nginx: error_page 404 /digest/404.html;).
set -eu
: "${DEPLOY_TARGET:?set DEPLOY_TARGET to user@host:/path/to/site/}"
digestgen build --strict ${BASE_URL:+--base-url "$BASE_URL"}
rsync --archive --compress --delete-after --delay-updates public/ "$DEPLOY_TARGET"
