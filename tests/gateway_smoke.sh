#!/bin/sh
# gateway_smoke.sh: the S3 gateway's every path once, small: short enough
# for `make check-valgrind`, which runs `pail serve` itself under memcheck
# (tests/lib.sh wraps $PAIL), so that an error or a leak in the server's
# code (exchanges, authentication, payloads, multipart staging, XML) fails
# the check. boto3 drives it over an fs storage: put (signed payload) and
# get with ranges and conditions, listings, copy, DeleteObjects, a
# multipart upload with a copied part, an abort, a presigned URL in SigV4
# and in SigV2, and refusals (read-only key, wrong secret, a corrupted
# body), each answered as S3 does.
. "${top_srcdir:?}/tests/lib.sh"
. "$top_srcdir/tests/serve_lib.sh"
trap 'serve_stop; chmod -R u+w "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

if ! python3 -c 'import boto3' 2>/dev/null; then
  echo "SKIP: boto3 is needed (pip install boto3)"
  exit 77
fi

serve_start --s3-listen 127.0.0.1:0 || exit 1
ENDPOINT=$(serve_s3_endpoint)
serve_mint ALL
serve_mint RO --allow read,list

python3 - "$ENDPOINT" "$ALL_KEY_ID" "$ALL_SECRET" "$RO_KEY_ID" "$RO_SECRET" \
  >"$SCRATCH/smoke.log" 2>&1 <<'PY'
import os, sys, urllib.request, boto3, botocore
from botocore.config import Config
endpoint, key, secret, ro_key, ro_secret = sys.argv[1:6]
def client(k, s, **c):
    return boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=k,
                        aws_secret_access_key=s, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}, **c))
s3 = client(key, secret)
failures = 0
def check(name, ok):
    global failures
    print(("ok: " if ok else "FAIL: ") + name)
    failures += 0 if ok else 1
def code(call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return None
B = "_default_"
data = os.urandom(70000)
etag = s3.put_object(Bucket=B, Key="s/a b", Body=data,
                     Metadata={"m": "1"})["ETag"]
check("get", s3.get_object(Bucket=B, Key="s/a b")["Body"].read() == data)
check("range", s3.get_object(Bucket=B, Key="s/a b", Range="bytes=-10")[
    "Body"].read() == data[-10:])
check("if-none-match", code(lambda: s3.get_object(
    Bucket=B, Key="s/a b", IfNoneMatch=etag)) == "304")
check("head", s3.head_object(Bucket=B, Key="s/a b")["Metadata"] == {"m": "1"})
s3.copy_object(Bucket=B, Key="s/copy", CopySource={"Bucket": B, "Key": "s/a b"})
check("list", [o["Key"] for o in s3.list_objects_v2(
    Bucket=B, Prefix="s/", Delimiter="/")["Contents"]] == ["s/a b", "s/copy"])
check("list v1", len(s3.list_objects(Bucket=B, Prefix="s/")["Contents"]) == 2)
check("buckets", [b["Name"] for b in s3.list_buckets()["Buckets"]] == [B])
upload = s3.create_multipart_upload(Bucket=B, Key="s/mp")["UploadId"]
first = os.urandom(5 << 20)
e1 = s3.upload_part(Bucket=B, Key="s/mp", UploadId=upload, PartNumber=1,
                    Body=first)["ETag"]
e2 = s3.upload_part_copy(Bucket=B, Key="s/mp", UploadId=upload, PartNumber=2,
                         CopySource={"Bucket": B, "Key": "s/a b"},
                         CopySourceRange="bytes=0-999")["CopyPartResult"]["ETag"]
check("list parts", len(s3.list_parts(Bucket=B, Key="s/mp",
                                      UploadId=upload)["Parts"]) == 2)
check("list uploads", len(s3.list_multipart_uploads(Bucket=B)["Uploads"]) == 1)
check("wrong part etag", code(lambda: s3.complete_multipart_upload(
    Bucket=B, Key="s/mp", UploadId=upload, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": e2}, {"PartNumber": 2, "ETag": e2}]})) ==
      "InvalidPart")
s3.complete_multipart_upload(Bucket=B, Key="s/mp", UploadId=upload,
                             MultipartUpload={"Parts": [
                                 {"PartNumber": 1, "ETag": e1},
                                 {"PartNumber": 2, "ETag": e2}]})
check("complete", s3.get_object(Bucket=B, Key="s/mp")["Body"].read() ==
      first + data[:1000])
upload = s3.create_multipart_upload(Bucket=B, Key="s/gone")["UploadId"]
s3.abort_multipart_upload(Bucket=B, Key="s/gone", UploadId=upload)
check("abort", code(lambda: s3.list_parts(
    Bucket=B, Key="s/gone", UploadId=upload)) == "NoSuchUpload")
for version in ("s3v4", None):
    signer = client(key, secret, signature_version=version) if version else s3
    url = signer.generate_presigned_url("get_object", Params={
        "Bucket": B, "Key": "s/a b"}, ExpiresIn=60)
    check("presigned %s" % (version or "default"),
          urllib.request.urlopen(url).read() == data)
check("read-only put", code(lambda: client(ro_key, ro_secret).put_object(
    Bucket=B, Key="s/ro", Body=b"x")) == "AccessDenied")
check("wrong secret", code(lambda: client(key, secret + "x").get_object(
    Bucket=B, Key="s/a b")) == "SignatureDoesNotMatch")
def corrupted_put():
    """A PUT signed for one body that sends another of the same length."""
    import hashlib
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    body = b"x" * 100
    request = AWSRequest(method="PUT", url=endpoint + "/" + B + "/s/bad",
                         data=body, headers={
                             "x-amz-content-sha256":
                             hashlib.sha256(body).hexdigest()})
    S3SigV4Auth(Credentials(key, secret), "s3", "us-east-1").add_auth(request)
    try:
        urllib.request.urlopen(urllib.request.Request(
            request.url, data=b"y" * 100, method="PUT",
            headers=dict(request.headers.items())))
    except urllib.error.HTTPError as e:
        return e.read().decode()
    return "accepted"
import urllib.error
check("corrupted body", "XAmzContentSHA256Mismatch" in corrupted_put())
check("nothing stored", code(lambda: s3.head_object(Bucket=B, Key="s/bad"))
      == "404")
r = s3.delete_objects(Bucket=B, Delete={"Objects": [
    {"Key": "s/a b"}, {"Key": "s/copy"}, {"Key": "s/mp"}]})
check("delete objects", len(r["Deleted"]) == 3)
sys.exit(1 if failures else 0)
PY
status=$?
sed 's/^/  boto3: /' "$SCRATCH/smoke.log"
check "every gateway path answered as S3 does" test $status -eq 0
serve_stop
finish
