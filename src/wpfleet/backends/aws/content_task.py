"""What the one-off content task runs INSIDE its container (and what the tests run on
this machine, against a real directory tree and moto's S3): archive the tenant's
wp-content, the EFS access point mounted at ``$WPFLEET_ROOT``, to
``s3://$WPFLEET_BUCKET/$WPFLEET_KEY`` (``export``), or replace what is there with that
archive (``import``).

Standard library, boto3 (the task's image ships it) and ``wpfleet.treearchive`` only:
``script()`` sends this module's source with treearchive's inlined in place of the
import, so the container needs no wpfleet. S3 is reached with the task role's
credentials, which ECS hands to boto3; no secret is in the environment.
"""

from __future__ import annotations

import json
import os
import sys
import tarfile
import tempfile
from pathlib import Path

import boto3

from wpfleet.treearchive import OutsideTarget, archive_tree, replace_contents  # inlined

SSE = {"ServerSideEncryption": "AES256"}


def main() -> int:
    action, root = os.environ["WPFLEET_ACTION"], Path(os.environ["WPFLEET_ROOT"])
    bucket, key = os.environ["WPFLEET_BUCKET"], os.environ["WPFLEET_KEY"]
    s3 = boto3.client("s3")
    with tempfile.TemporaryDirectory(prefix="wpfleet-content-") as tmp:
        archive = Path(tmp, "wp-content.tar.gz")
        try:
            if action == "export":
                info = archive_tree(root, archive)
                s3.upload_file(str(archive), bucket, key, ExtraArgs=SSE)
            elif action == "import":
                s3.download_file(bucket, key, str(archive))
                info = replace_contents(archive, root)
            else:
                print(f"wpfleet content: unknown action {action!r}", file=sys.stderr)
                return 2
        except (OutsideTarget, tarfile.TarError) as exc:
            print(f"wpfleet content: refused: {exc}", file=sys.stderr)
            return 3
    print(json.dumps({"wpfleet_content": action, "files": info.files, "bytes": info.bytes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
