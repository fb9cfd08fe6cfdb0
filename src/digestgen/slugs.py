"""An author name's slug: the address of their page, and how spellings of one name are one author.

Apart from authors.py so that a paper's record can carry the slugs of its names (content.py):
they are made once when the file is parsed, and kept with the parsed record in the cache.
"""

from __future__ import annotations

import hashlib
import re

from anyascii import anyascii

from digestgen.schema import windows_reserved

MAX_SLUG = 80
NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """A name's slug: ASCII-folded, lowercase, words joined by '-'; stable for one spelling.

    A name with no letter or digit in any script gets 'author-' and a hash of the name; a
    slug of one character gets 'author-' before it (/authors/a/ is the index's page of A).
    """
    slug = NOT_SLUG.sub("-", anyascii(name).lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    if len(slug) == 1:
        slug = "author-" + slug
    if not slug or windows_reserved(slug):
        slug = "author-" + hashlib.blake2b(name.encode("utf-8", "surrogatepass"), digest_size=4).hexdigest()
    return slug
