"""Backups in an S3 bucket (AWS, DigitalOcean Spaces, SeaweedFS, MinIO…), with boto3.

A write is a multipart upload fed part by part from the stream, so nothing is copied
to disk first and memory holds one part. The object exists once the upload is
completed; an interrupted one is aborted (and ``cleanup_incomplete`` aborts those a
crash left behind).
"""
from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

from ..errors import ValidationFailed
from .errors import ObjectMissing, StorageAccessDenied, StorageBucketMissing, StorageError
from .store import Store, StoredObject, check_key, check_prefix, read_full

MiB = 1024 * 1024
MIN_PART = 5 * MiB                      # S3's minimum for every part but the last
_BUCKET = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,254}$")
_DENIED = {"AccessDenied", "Forbidden", "403", "AllAccessDisabled", "AccountProblem", "InvalidToken",
           "ExpiredToken", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidClientTokenId"}
_WHY = {
    "InvalidAccessKeyId": "the endpoint does not know this access key: check the access key",
    "SignatureDoesNotMatch": "the secret key does not match the access key: check the secret key",
    "ExpiredToken": "the credentials expired: renew them",
}


class S3Store(Store):
    def __init__(self, bucket: str, prefix: str = "", endpoint_url: str | None = None, access_key: str | None = None,
                 secret_key: str | None = None, region: str | None = None, *, part_size: int = 16 * MiB):
        import boto3
        from botocore.config import Config

        if not isinstance(bucket, str) or not _BUCKET.match(bucket):
            raise ValidationFailed(f"not a valid bucket name: {bucket!r}", details={"bucket": bucket})
        if part_size < MIN_PART:
            raise ValidationFailed(f"part_size must be at least {MIN_PART} bytes (S3's minimum), got {part_size}")
        prefix = check_prefix(prefix.strip("/") + "/" if prefix.strip("/") else "")
        self.bucket, self.prefix, self.part_size = bucket, prefix, part_size
        self.endpoint = endpoint_url or "AWS S3"
        config = Config(
            # Path-style works on every S3 lookalike; AWS itself picks its own.
            s3={"addressing_style": "path"} if endpoint_url else {},
            retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=10, read_timeout=120,
            # The newer default checksums (CRC32 headers) are refused by some S3 lookalikes.
            request_checksum_calculation="when_required", response_checksum_validation="when_required")
        self.client = boto3.client("s3", endpoint_url=endpoint_url or None, aws_access_key_id=access_key or None,
                                   aws_secret_access_key=secret_key or None, region_name=region or "us-east-1",
                                   config=config)

    def __repr__(self):
        return f"S3Store(bucket={self.bucket!r}, prefix={self.prefix!r}, endpoint={self.endpoint!r})"

    # -- errors: every failure names the bucket and what to check --------------------------

    def _call(self, action: str, method: str, key: str | None = None, **kwargs):
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            raise self._translate(exc, action, key) from None
        except NoCredentialsError:
            raise StorageAccessDenied(f"no credentials to {action} in bucket {self.bucket!r}",
                                      details=self._details(key)) from None
        except BotoCoreError as exc:
            raise StorageError(f"cannot {action} in bucket {self.bucket!r} at {self.endpoint}: {exc}",
                               details=self._details(key),
                               remediation="Check the endpoint URL and that this host can reach it.") from None

    def _details(self, key):
        details = {"bucket": self.bucket, "endpoint": self.endpoint}
        if key is not None:
            details["key"] = key
        return details

    def _translate(self, exc, action: str, key: str | None):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        said = f"{code}: {error.get('Message', '')}".strip(": ")
        details = {**self._details(key), "s3_error": code, "status": status}
        if code == "NoSuchBucket" or (status == 404 and key is None):
            return StorageBucketMissing(f"bucket {self.bucket!r} does not exist at {self.endpoint} ({said})",
                                        details=details)
        if code in ("NoSuchKey", "NoSuchUpload") or status == 404:
            return ObjectMissing(f"no object {key} in bucket {self.bucket!r}", details=details)
        if code in _DENIED or status == 403:
            why = _WHY.get(code) or (f"check that these credentials may {action} in bucket {self.bucket!r} "
                                     "(list, get, put and delete objects, abort multipart uploads)")
            return StorageAccessDenied(f"bucket {self.bucket!r} at {self.endpoint} refused to {action} ({said})",
                                       details=details, remediation=why[0].upper() + why[1:] + ".")
        return StorageError(f"cannot {action} in bucket {self.bucket!r} at {self.endpoint} ({said})", details=details)

    # -- the interface ---------------------------------------------------------------------

    def check(self) -> None:
        """Raise the typed error when the bucket is missing or these credentials cannot use it."""
        self._call("open the bucket", "head_bucket")
        self._call("list objects", "list_objects_v2", MaxKeys=1, Prefix=self.prefix)

    def put(self, key: str, stream) -> StoredObject:
        name = self.prefix + check_key(key)
        digest, size = hashlib.sha256(), 0
        part = read_full(stream, self.part_size)
        digest.update(part)
        size += len(part)
        if len(part) < self.part_size:          # it all fits in one request: atomic by itself
            self._call("write objects", "put_object", key, Key=name, Body=part)
            return StoredObject(key, size, digest.hexdigest())
        upload = self._call("start multipart uploads", "create_multipart_upload", key, Key=name)["UploadId"]
        try:
            parts, number = [], 1
            while part:
                answer = self._call("upload parts", "upload_part", key, Key=name, UploadId=upload,
                                    PartNumber=number, Body=part)
                parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                number += 1
                # S3 allows 10,000 parts: double the part size every 1,000 so any size fits.
                part = read_full(stream, self.part_size * 2 ** ((number - 1) // 1000))
                digest.update(part)
                size += len(part)
            self._call("complete multipart uploads", "complete_multipart_upload", key, Key=name, UploadId=upload,
                       MultipartUpload={"Parts": parts})
        except BaseException:
            self._abort(name, upload)
            raise
        return StoredObject(key, size, digest.hexdigest())

    def _abort(self, name: str, upload: str) -> None:
        try:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload)
        except Exception:  # noqa: BLE001 - the original failure matters more; cleanup_incomplete retries
            pass

    def get(self, key: str):
        return self._call("read objects", "get_object", key, Key=self.prefix + check_key(key))["Body"]

    def delete(self, key: str) -> None:
        self._call("delete objects", "delete_object", key, Key=self.prefix + check_key(key))

    def list(self, prefix: str = "") -> list[str]:
        keys, token = [], None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._call("list objects", "list_objects_v2", Prefix=self.prefix + check_prefix(prefix), **extra)
            keys += [item["Key"][len(self.prefix):] for item in page.get("Contents", [])]
            if not page.get("IsTruncated"):
                return sorted(keys)
            token = page["NextContinuationToken"]

    def exists(self, key: str) -> bool:
        try:
            self._call("read objects", "head_object", key, Key=self.prefix + check_key(key))
        except ObjectMissing:
            return False
        return True

    def pending_uploads(self) -> list[dict]:
        """Multipart uploads started under this store's prefix and neither completed nor aborted."""
        uploads, marker = [], {}
        while True:
            page = self._call("list multipart uploads", "list_multipart_uploads", Prefix=self.prefix, **marker)
            uploads += page.get("Uploads", [])
            if not page.get("IsTruncated"):
                return uploads
            marker = {"KeyMarker": page["NextKeyMarker"], "UploadIdMarker": page["NextUploadIdMarker"]}

    def cleanup_incomplete(self, older_than_seconds: float) -> int:
        cutoff = datetime.now(timezone.utc) - timedelta(seconds=older_than_seconds)
        stale = [u for u in self.pending_uploads() if u["Initiated"] < cutoff]
        for upload in stale:
            self._abort(upload["Key"], upload["UploadId"])
        return len(stale)
