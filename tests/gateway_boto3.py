"""gateway_boto3.py: boto3 against the S3 gateway of `pail serve`.

Run by tests/gateway_s3.sh with the gateway's endpoint, a bucket (a storage
of the workspace) and keys minted by `pail credentials` in the environment:
GATEWAY_ENDPOINT, GATEWAY_BUCKET, GATEWAY_KEY_ID / GATEWAY_SECRET (all
access), GATEWAY_RO_KEY_ID / GATEWAY_RO_SECRET (read and list only),
GATEWAY_SCOPED_KEY_ID / GATEWAY_SCOPED_SECRET (prefix "a/" only),
GATEWAY_EXPIRED_KEY_ID / GATEWAY_EXPIRED_SECRET (already expired).
Multipart uploads are checked too: through boto3's transfer manager (5 MiB
parts of 64 MiB), and step by step (parts out of order and sent again,
ListParts, ListMultipartUploads, UploadPartCopy, Abort, and S3's refusals).

Prints "ok: ..." per check and "FAIL: ..." per failure; exits 1 on any
failure. Every object's bytes are compared with what was written.
"""

import hashlib
import os

import boto3
from botocore.config import Config

from gateway_checks import check, error_code, expect_error, fail, finish, ok

ENDPOINT = os.environ["GATEWAY_ENDPOINT"]
BUCKET = os.environ["GATEWAY_BUCKET"]


def client(key_id, secret, **config):
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 1},
            **config,
        ),
    )


s3 = client(os.environ["GATEWAY_KEY_ID"], os.environ["GATEWAY_SECRET"])

# Buckets: every storage the key reaches.
names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
check("list_buckets has the bucket", BUCKET in names)
s3.head_bucket(Bucket=BUCKET)
ok("head_bucket")
expect_error("head_bucket of no storage", "404",
             lambda: s3.head_bucket(Bucket="no-such-storage"))
expect_error("get of no storage", "NoSuchBucket",
             lambda: s3.get_object(Bucket="no-such-storage", Key="x"))

# Round trips of several sizes, with metadata; bytes compared.
for size in (0, 1, 1000, 5 * 1024 * 1024 + 3):
    data = os.urandom(size)
    key = "rt/%d.bin" % size
    put = s3.put_object(
        Bucket=BUCKET, Key=key, Body=data, ContentType="application/x-test",
        Metadata={"origin": "boto3", "n": str(size)})
    got = s3.get_object(Bucket=BUCKET, Key=key)
    body = got["Body"].read()
    check("put/get %d bytes" % size, body == data)
    check("etag of %d bytes same in put and get" % size,
          put["ETag"] == got["ETag"] and put["ETag"].startswith('"'))
    check("content type of %d bytes" % size,
          got["ContentType"] == "application/x-test")
    check("metadata of %d bytes" % size,
          got["Metadata"] == {"origin": "boto3", "n": str(size)})
    head = s3.head_object(Bucket=BUCKET, Key=key)
    check("head of %d bytes" % size,
          head["ContentLength"] == size and head["ETag"] == put["ETag"])

# Keys clients encode differently.
for key in ("odd/a b+c=d&e.txt", "odd/tilde~star*!(x)'", "odd/ünï cødé",
            "odd/percent%25.txt"):
    s3.put_object(Bucket=BUCKET, Key=key, Body=key.encode())
    check("odd key %r" % key,
          s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == key.encode())

# Ranges.
data = bytes(range(256)) * 40
s3.put_object(Bucket=BUCKET, Key="range.bin", Body=data)
for header, want in (("bytes=0-9", data[0:10]), ("bytes=100-", data[100:]),
                     ("bytes=-5", data[-5:]), ("bytes=10200-99999",
                                               data[10200:])):
    got = s3.get_object(Bucket=BUCKET, Key="range.bin", Range=header)
    check("range %s" % header, got["Body"].read() == want)
expect_error("range past the end", "InvalidRange",
             lambda: s3.get_object(Bucket=BUCKET, Key="range.bin",
                                   Range="bytes=20000-"))

# Conditional requests.
etag = s3.head_object(Bucket=BUCKET, Key="range.bin")["ETag"]
check("if-match the etag", s3.get_object(
    Bucket=BUCKET, Key="range.bin", IfMatch=etag)["Body"].read() == data)
expect_error("if-match another etag", "PreconditionFailed",
             lambda: s3.get_object(Bucket=BUCKET, Key="range.bin",
                                   IfMatch='"0000"'))
expect_error("if-none-match the etag", "304",
             lambda: s3.get_object(Bucket=BUCKET, Key="range.bin",
                                   IfNoneMatch=etag))
expect_error("put if-none-match * on an existing key", "PreconditionFailed",
             lambda: s3.put_object(Bucket=BUCKET, Key="range.bin", Body=b"x",
                                   IfNoneMatch="*"))
check("the object stayed", s3.get_object(
    Bucket=BUCKET, Key="range.bin")["Body"].read() == data)
expect_error("get a missing key", "NoSuchKey",
             lambda: s3.get_object(Bucket=BUCKET, Key="no/such/key"))

# Listings: folders, paging, start-after, V1.
for i in range(7):
    s3.put_object(Bucket=BUCKET, Key="list/f%d" % i, Body=b"x")
s3.put_object(Bucket=BUCKET, Key="list/sub/deep", Body=b"y")
page = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", Delimiter="/")
check("v2 folder listing keys",
      [o["Key"] for o in page["Contents"]] == ["list/f%d" % i for i in range(7)])
check("v2 folder listing prefixes",
      [p["Prefix"] for p in page.get("CommonPrefixes", [])] == ["list/sub/"])
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="list/", PaginationConfig={"PageSize": 3}):
    keys += [o["Key"] for o in page.get("Contents", [])]
check("v2 paging by 3", keys == sorted(
    ["list/f%d" % i for i in range(7)] + ["list/sub/deep"]))
page = s3.list_objects_v2(Bucket=BUCKET, Prefix="list/", StartAfter="list/f4")
check("v2 start-after", [o["Key"] for o in page["Contents"]] ==
      ["list/f5", "list/f6", "list/sub/deep"])
keys = []
for page in s3.get_paginator("list_objects").paginate(
        Bucket=BUCKET, Prefix="list/", PaginationConfig={"PageSize": 3}):
    keys += [o["Key"] for o in page.get("Contents", [])]
check("v1 paging by 3", keys == sorted(
    ["list/f%d" % i for i in range(7)] + ["list/sub/deep"]))
# boto3 asks for encoding-type=url itself and decodes what comes back;
# asked for explicitly, the keys come back encoded.
page = s3.list_objects_v2(Bucket=BUCKET, Prefix="odd/")
check("v2 listing of odd keys", sorted(o["Key"] for o in page["Contents"]) ==
      sorted(["odd/a b+c=d&e.txt", "odd/tilde~star*!(x)'", "odd/\u00fcn\u00ef "
              "c\u00f8d\u00e9", "odd/percent%25.txt"]))
page = s3.list_objects_v2(Bucket=BUCKET, Prefix="odd/a", EncodingType="url")
check("v2 encoding-type url", [o["Key"] for o in page["Contents"]] ==
      ["odd/a%20b%2Bc%3Dd%26e.txt"])
# Delimiters other than "/", folded by the gateway: the answers S3 gives,
# worked out by hand. Under "dl/", delimiter "-": the entries in order are
# the prefix dl/a-, the prefix dl/b-, the key dl/c, the prefix dl/d-.
for key in ("a-1", "a-2", "b-1", "c", "d-x-y"):
    s3.put_object(Bucket=BUCKET, Key="dl/" + key, Body=b"x")


def listed(page):
    return ([o["Key"] for o in page.get("Contents", [])],
            [p["Prefix"] for p in page.get("CommonPrefixes", [])])


page = s3.list_objects_v2(Bucket=BUCKET, Prefix="dl/", Delimiter="-")
check("v2 delimiter -", listed(page) == (["dl/c"], ["dl/a-", "dl/b-", "dl/d-"])
      and page["KeyCount"] == 4 and not page["IsTruncated"] and
      page["Delimiter"] == "-")
page = s3.list_objects_v2(Bucket=BUCKET, Prefix="dl/d-", Delimiter="-")
check("v2 delimiter - under a prefix ending in it",
      listed(page) == ([], ["dl/d-x-"]))
first = s3.list_objects_v2(Bucket=BUCKET, Prefix="dl/", Delimiter="-",
                           MaxKeys=2)
second = s3.list_objects_v2(Bucket=BUCKET, Prefix="dl/", Delimiter="-",
                            MaxKeys=2, ContinuationToken=first.get(
                                "NextContinuationToken", ""))
check("v2 delimiter - by 2: prefixes across pages",
      listed(first) == ([], ["dl/a-", "dl/b-"]) and first["IsTruncated"] and
      first["KeyCount"] == 2 and listed(second) == (["dl/c"], ["dl/d-"]) and
      not second["IsTruncated"] and second["KeyCount"] == 2)
first = s3.list_objects_v2(Bucket=BUCKET, Prefix="dl/", Delimiter="-",
                           MaxKeys=1)
second = s3.list_objects_v2(Bucket=BUCKET, Prefix="dl/", Delimiter="-",
                            MaxKeys=1, ContinuationToken=first.get(
                                "NextContinuationToken", ""))
check("v2 delimiter - by 1: a prefix is not given again",
      listed(first) == ([], ["dl/a-"]) and listed(second) == ([], ["dl/b-"]))
page = s3.list_objects_v2(Bucket=BUCKET, Prefix="dl/", Delimiter="-",
                          StartAfter="dl/a-1")
check("v2 delimiter - start-after inside a prefix",
      listed(page) == (["dl/c"], ["dl/b-", "dl/d-"]))
first = s3.list_objects(Bucket=BUCKET, Prefix="dl/", Delimiter="-",
                        MaxKeys=2)
second = s3.list_objects(Bucket=BUCKET, Prefix="dl/", Delimiter="-",
                         MaxKeys=2, Marker=first.get("NextMarker", ""))
check("v1 delimiter - by 2: NextMarker a prefix",
      listed(first) == ([], ["dl/a-", "dl/b-"]) and first["IsTruncated"] and
      first.get("NextMarker") == "dl/b-" and
      listed(second) == (["dl/c"], ["dl/d-"]) and not second["IsTruncated"])
keys, prefixes = [], []
for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix="dl/", Delimiter="-",
        PaginationConfig={"PageSize": 2}):
    keys += [o["Key"] for o in page.get("Contents", [])]
    prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
check("v2 delimiter - through boto3's paginator",
      (keys, prefixes) == (["dl/c"], ["dl/a-", "dl/b-", "dl/d-"]))
# A delimiter of several bytes: "-x-" folds only dl/d-x-y; "é" (two
# bytes of UTF-8) and encoding-type=url, which encodes the prefixes and
# the delimiter too.
page = s3.list_objects_v2(Bucket=BUCKET, Prefix="dl/", Delimiter="-x-")
check("v2 delimiter -x-", listed(page) == (
    ["dl/a-1", "dl/a-2", "dl/b-1", "dl/c"], ["dl/d-x-"]))
for key in ("résumé", "région", "rx"):
    s3.put_object(Bucket=BUCKET, Key="du/" + key, Body=b"x")
page = s3.list_objects_v2(Bucket=BUCKET, Prefix="du/", Delimiter="é")
check("v2 delimiter é", listed(page) == (["du/rx"], ["du/ré"]))
page = s3.list_objects_v2(Bucket=BUCKET, Prefix="du/", Delimiter="é",
                          EncodingType="url")
check("v2 delimiter é, encoding-type url",
      listed(page) == (["du/rx"], ["du/r%C3%A9"]) and
      page["Delimiter"] == "%C3%A9")
expect_error("a continuation token the gateway did not make",
             "InvalidArgument", lambda: s3.list_objects_v2(
                 Bucket=BUCKET, Prefix="dl/", Delimiter="-",
                 ContinuationToken="not-hex"))
s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [
    {"Key": "dl/" + k} for k in ("a-1", "a-2", "b-1", "c", "d-x-y")] + [
    {"Key": "du/" + k} for k in ("résumé", "région", "rx")]})

many = os.environ.get("GATEWAY_MANY_PREFIX")
if many:
    keys = []
    for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=many):
        keys += [o["Key"] for o in page.get("Contents", [])]
    check("paging past 1,000 keys (%d)" % len(keys), len(keys) ==
          int(os.environ["GATEWAY_MANY_COUNT"]) and keys == sorted(keys))

# Copy, with and without new metadata.
s3.copy_object(Bucket=BUCKET, Key="copy/same", CopySource={
    "Bucket": BUCKET, "Key": "rt/1000.bin"})
got = s3.get_object(Bucket=BUCKET, Key="copy/same")
check("copy keeps bytes and metadata",
      got["Metadata"] == {"origin": "boto3", "n": "1000"} and
      got["ContentType"] == "application/x-test" and
      hashlib.sha256(got["Body"].read()).digest() ==
      hashlib.sha256(s3.get_object(Bucket=BUCKET, Key="rt/1000.bin")[
          "Body"].read()).digest())
s3.copy_object(Bucket=BUCKET, Key="copy/replaced", CopySource={
    "Bucket": BUCKET, "Key": "rt/1000.bin"}, MetadataDirective="REPLACE",
    Metadata={"new": "1"}, ContentType="text/plain")
got = s3.head_object(Bucket=BUCKET, Key="copy/replaced")
check("copy replaces metadata", got["Metadata"] == {"new": "1"} and
      got["ContentType"] == "text/plain")

# Conditional copies: each x-amz-copy-source-if-* that holds copies, each
# that fails is 412 with nothing copied; If-Match decides over
# If-Unmodified-Since and If-None-Match over If-Modified-Since, as S3 says.
import datetime

source = s3.head_object(Bucket=BUCKET, Key="rt/1000.bin")
day = datetime.timedelta(days=1)
before, after = source["LastModified"] - day, source["LastModified"] + day
ETAG, OTHER = source["ETag"], '"0123456789abcdef0123456789abcdef"'
SOURCE = s3.get_object(Bucket=BUCKET, Key="rt/1000.bin")["Body"].read()
for name, conditions, copies in [
        ("if-match holds", {"CopySourceIfMatch": ETAG}, True),
        ("if-match unquoted, in a list", {
            "CopySourceIfMatch": OTHER + ", " + ETAG.strip('"')}, True),
        ("if-match fails", {"CopySourceIfMatch": OTHER}, False),
        ("if-none-match holds", {"CopySourceIfNoneMatch": OTHER}, True),
        ("if-none-match fails", {"CopySourceIfNoneMatch": ETAG}, False),
        ("if-none-match * fails", {"CopySourceIfNoneMatch": "*"}, False),
        ("if-modified-since holds", {"CopySourceIfModifiedSince": before},
         True),
        ("if-modified-since fails", {"CopySourceIfModifiedSince": after},
         False),
        ("if-unmodified-since holds", {"CopySourceIfUnmodifiedSince": after},
         True),
        ("if-unmodified-since fails",
         {"CopySourceIfUnmodifiedSince": before}, False),
        ("if-match holds, if-unmodified-since fails: copied",
         {"CopySourceIfMatch": ETAG, "CopySourceIfUnmodifiedSince": before},
         True),
        ("if-none-match fails, if-modified-since holds: 412",
         {"CopySourceIfNoneMatch": ETAG, "CopySourceIfModifiedSince": before},
         False)]:
    s3.delete_object(Bucket=BUCKET, Key="copy/cond")
    code = error_code(lambda: s3.copy_object(
        Bucket=BUCKET, Key="copy/cond",
        CopySource={"Bucket": BUCKET, "Key": "rt/1000.bin"}, **conditions))
    there = error_code(lambda: s3.head_object(
        Bucket=BUCKET, Key="copy/cond")) is None
    if copies:
        # The bytes, not the ETag: Azure gives every blob written its own.
        check("conditional copy, %s: copied (got %s)" % (name, code),
              code is None and there and s3.get_object(
                  Bucket=BUCKET, Key="copy/cond")["Body"].read() == SOURCE)
    else:
        check("conditional copy, %s: 412, nothing copied (got %s)" % (
            name, code), code == "PreconditionFailed" and not there)
s3.delete_object(Bucket=BUCKET, Key="copy/cond")
# The same dates on GET, as HTTP dates (they were once ignored there).
expect_error("get if-modified-since after it", "304",
             lambda: s3.get_object(Bucket=BUCKET, Key="rt/1000.bin",
                                   IfModifiedSince=after))
expect_error("get if-unmodified-since before it", "PreconditionFailed",
             lambda: s3.get_object(Bucket=BUCKET, Key="rt/1000.bin",
                                   IfUnmodifiedSince=before))
check("get if-modified-since before it", s3.get_object(
    Bucket=BUCKET, Key="rt/1000.bin", IfModifiedSince=before)["ETag"] == ETAG)

# Deletes, one and many.
s3.delete_object(Bucket=BUCKET, Key="copy/same")
expect_error("deleted", "404", lambda: s3.head_object(
    Bucket=BUCKET, Key="copy/same"))
s3.delete_object(Bucket=BUCKET, Key="copy/same")
ok("deleting a missing key succeeds")
result = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [
    {"Key": "list/f%d" % i} for i in range(7)]})
check("delete_objects", len(result.get("Deleted", [])) == 7 and
      not result.get("Errors"))
check("delete_objects removed them", "Contents" not in s3.list_objects_v2(
    Bucket=BUCKET, Prefix="list/f"))
# Keys XML must escape come back whole (boto3 writes "&" as "&amp;").
s3.put_object(Bucket=BUCKET, Key="del/a&b <c>", Body=b"x")
result = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [
    {"Key": "del/a&b <c>"}]})
check("delete_objects of a key XML escapes",
      [d["Key"] for d in result.get("Deleted", [])] == ["del/a&b <c>"] and
      "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="del/"))

# An object's subresources are not the object: NotImplemented, and the
# object untouched (PutObjectTagging once replaced it with its XML body,
# DeleteObjectTagging deleted it, and GetObjectAcl, which s3cmd info
# sends, got its bytes).
s3.put_object(Bucket=BUCKET, Key="sub/x", Body=b"kept")
expect_error("get_object_acl", "NotImplemented",
             lambda: s3.get_object_acl(Bucket=BUCKET, Key="sub/x"))
expect_error("put_object_tagging", "NotImplemented",
             lambda: s3.put_object_tagging(
                 Bucket=BUCKET, Key="sub/x",
                 Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}))
expect_error("delete_object_tagging", "NotImplemented",
             lambda: s3.delete_object_tagging(Bucket=BUCKET, Key="sub/x"))
expect_error("get_object of a version", "NotImplemented",
             lambda: s3.get_object(Bucket=BUCKET, Key="sub/x", VersionId="v1"))
check("... the object untouched", s3.get_object(
    Bucket=BUCKET, Key="sub/x")["Body"].read() == b"kept")

# Multipart uploads: staged as objects, joined by Complete.
import io
from boto3.s3.transfer import TransferConfig

MIB = 1024 * 1024
big = os.urandom(64 * MIB)
s3.upload_fileobj(io.BytesIO(big), BUCKET, "mp/big.bin", Config=TransferConfig(
    multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB,
    max_concurrency=4), ExtraArgs={"ContentType": "application/x-big",
                                   "Metadata": {"kind": "multipart"}})
got = s3.get_object(Bucket=BUCKET, Key="mp/big.bin")
check("multipart upload of 64 MiB in 5 MiB parts",
      hashlib.sha256(got["Body"].read()).digest() ==
      hashlib.sha256(big).digest())
check("multipart keeps type and metadata",
      got["ContentType"] == "application/x-big" and
      got["Metadata"] == {"kind": "multipart"})
listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="mp/")["Contents"]
check("multipart etag same in get and listing",
      [o.get("ETag") for o in listed
       if o["Key"] == "mp/big.bin"] == [got["ETag"]])
everything = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
    everything += [o["Key"] for o in page.get("Contents", [])]
check("staged uploads hidden from listings",
      not any(k.startswith(".pail_uploads") for k in everything))
top = s3.list_objects_v2(Bucket=BUCKET, Delimiter="/")
check("... and from folder listings", not any(
    p["Prefix"].startswith(".pail") for p in top.get("CommonPrefixes", [])))
expect_error("staged prefix refused", "AccessDenied",
             lambda: s3.put_object(Bucket=BUCKET, Key=".pail_uploads/x",
                                   Body=b"x"))
expect_error("staged prefix not listed", "AccessDenied",
             lambda: s3.list_objects_v2(Bucket=BUCKET, Prefix=".pail_uploads/"))
result = s3.delete_objects(Bucket=BUCKET, Delete={"Objects": [
    {"Key": ".pail_uploads/x"}, {"Key": "mp/not-there"}]})
check("staged prefix not deleted in a batch",
      [(e["Key"], e["Code"]) for e in result.get("Errors", [])] ==
      [(".pail_uploads/x", "AccessDenied")] and
      [d["Key"] for d in result.get("Deleted", [])] == ["mp/not-there"])

# Step by step: parts out of order, one sent twice.
upload_id = s3.create_multipart_upload(Bucket=BUCKET, Key="mp/ooo.bin",
                                       ContentType="text/x-ooo")["UploadId"]
part = {1: os.urandom(5 * MIB), 2: os.urandom(5 * MIB), 3: b"tail" * 250}
etags = {}
for number in (3, 1, 2):
    etags[number] = s3.upload_part(
        Bucket=BUCKET, Key="mp/ooo.bin", UploadId=upload_id,
        PartNumber=number, Body=part[number])["ETag"]
part[2] = os.urandom(5 * MIB + 7)  # sent again: replaces the first
etags[2] = s3.upload_part(Bucket=BUCKET, Key="mp/ooo.bin", UploadId=upload_id,
                          PartNumber=2, Body=part[2])["ETag"]
check("part etags are quoted", all(e.startswith('"') for e in etags.values()))
parts = s3.list_parts(Bucket=BUCKET, Key="mp/ooo.bin", UploadId=upload_id)
check("list_parts", [(p["PartNumber"], p["Size"], p["ETag"])
                     for p in parts["Parts"]] ==
      [(n, len(part[n]), etags[n]) for n in (1, 2, 3)])
page = s3.list_parts(Bucket=BUCKET, Key="mp/ooo.bin", UploadId=upload_id,
                     MaxParts=2)
check("list_parts paging", [p["PartNumber"] for p in page["Parts"]] == [1, 2]
      and page["IsTruncated"] and s3.list_parts(
          Bucket=BUCKET, Key="mp/ooo.bin", UploadId=upload_id,
          PartNumberMarker=page["NextPartNumberMarker"])["Parts"][0][
              "PartNumber"] == 3)
uploads = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mp/")
check("list_multipart_uploads", [(u["Key"], u["UploadId"]) for u in
                                 uploads.get("Uploads", [])] ==
      [("mp/ooo.bin", upload_id)])
# With a delimiter: the uploads of mp/ooo.bin, mp/x-1 and mp/x-2 by "-"
# are the upload of mp/ooo.bin and the prefix mp/x-; by 1, two pages.
others = [s3.create_multipart_upload(Bucket=BUCKET, Key=k)["UploadId"]
          for k in ("mp/x-1", "mp/x-2")]
uploads = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mp/",
                                    Delimiter="-")
check("list_multipart_uploads with a delimiter",
      [u["Key"] for u in uploads.get("Uploads", [])] == ["mp/ooo.bin"] and
      [p["Prefix"] for p in uploads.get("CommonPrefixes", [])] == ["mp/x-"]
      and not uploads["IsTruncated"])
first = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mp/x", Delimiter="-",
                                  MaxUploads=1)
check("list_multipart_uploads with a delimiter by 1",
      [p["Prefix"] for p in first.get("CommonPrefixes", [])] == ["mp/x-"] and
      not first.get("Uploads") and not first["IsTruncated"])
first = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mp/", Delimiter="-",
                                  MaxUploads=1)
second = s3.list_multipart_uploads(Bucket=BUCKET, Prefix="mp/",
                                   Delimiter="-", MaxUploads=1,
                                   KeyMarker=first.get("NextKeyMarker", ""),
                                   UploadIdMarker=first.get(
                                       "NextUploadIdMarker", ""))
check("list_multipart_uploads with a delimiter, paged",
      [u["Key"] for u in first.get("Uploads", [])] == ["mp/ooo.bin"] and
      first["IsTruncated"] and not second.get("Uploads") and
      [p["Prefix"] for p in second.get("CommonPrefixes", [])] == ["mp/x-"]
      and not second["IsTruncated"])
for key, other in zip(("mp/x-1", "mp/x-2"), others):
    s3.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=other)
expect_error("part of another key", "NoSuchUpload",
             lambda: s3.upload_part(Bucket=BUCKET, Key="mp/other",
                                    UploadId=upload_id, PartNumber=1,
                                    Body=b"x"))


def complete(key, upload, numbers_etags):
    return s3.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=upload, MultipartUpload={"Parts": [
            {"PartNumber": n, "ETag": e} for n, e in numbers_etags]})


expect_error("complete with a wrong etag", "InvalidPart",
             lambda: complete("mp/ooo.bin", upload_id, [
                 (1, '"00000000000000000000000000000000"'), (2, etags[2]),
                 (3, etags[3])]))
expect_error("complete out of order", "InvalidPartOrder",
             lambda: complete("mp/ooo.bin", upload_id, [
                 (2, etags[2]), (1, etags[1]), (3, etags[3])]))
done = complete("mp/ooo.bin", upload_id, [(n, etags[n]) for n in (1, 2, 3)])
got = s3.get_object(Bucket=BUCKET, Key="mp/ooo.bin")
check("parts sent out of order joined in order",
      got["Body"].read() == part[1] + part[2] + part[3])
check("complete's etag is the object's", done["ETag"] == got["ETag"] and
      got["ContentType"] == "text/x-ooo")
expect_error("a completed upload is gone", "NoSuchUpload",
             lambda: s3.list_parts(Bucket=BUCKET, Key="mp/ooo.bin",
                                   UploadId=upload_id))

# Too small, then aborted.
upload_id = s3.create_multipart_upload(Bucket=BUCKET,
                                       Key="mp/small.bin")["UploadId"]
small = [s3.upload_part(Bucket=BUCKET, Key="mp/small.bin", UploadId=upload_id,
                        PartNumber=n, Body=b"s" * 100)["ETag"] for n in (1, 2)]
expect_error("a part under 5 MiB but the last", "EntityTooSmall",
             lambda: complete("mp/small.bin", upload_id,
                              [(1, small[0]), (2, small[1])]))
s3.abort_multipart_upload(Bucket=BUCKET, Key="mp/small.bin",
                          UploadId=upload_id)
ok("abort_multipart_upload")
expect_error("an aborted upload is gone", "NoSuchUpload",
             lambda: s3.upload_part(Bucket=BUCKET, Key="mp/small.bin",
                                    UploadId=upload_id, PartNumber=3,
                                    Body=b"x"))
expect_error("aborting it again", "NoSuchUpload",
             lambda: s3.abort_multipart_upload(
                 Bucket=BUCKET, Key="mp/small.bin", UploadId=upload_id))
expect_error("no object from an aborted upload", "NoSuchKey",
             lambda: s3.get_object(Bucket=BUCKET, Key="mp/small.bin"))
expect_error("an upload id never made", "NoSuchUpload",
             lambda: s3.list_parts(Bucket=BUCKET, Key="mp/small.bin",
                                   UploadId="../../etc"))

# UploadPartCopy: a range of one object and the whole of another.
upload_id = s3.create_multipart_upload(Bucket=BUCKET,
                                       Key="mp/copied.bin")["UploadId"]
first = s3.upload_part_copy(
    Bucket=BUCKET, Key="mp/copied.bin", UploadId=upload_id, PartNumber=1,
    CopySource={"Bucket": BUCKET, "Key": "mp/big.bin"},
    CopySourceRange="bytes=%d-%d" % (MIB, 6 * MIB - 1))["CopyPartResult"]
second = s3.upload_part_copy(
    Bucket=BUCKET, Key="mp/copied.bin", UploadId=upload_id, PartNumber=2,
    CopySource={"Bucket": BUCKET, "Key": "rt/1000.bin"})["CopyPartResult"]
complete("mp/copied.bin", upload_id,
         [(1, first["ETag"]), (2, second["ETag"])])
check("upload_part_copy", s3.get_object(
    Bucket=BUCKET, Key="mp/copied.bin")["Body"].read() ==
    big[MIB:6 * MIB] + s3.get_object(
        Bucket=BUCKET, Key="rt/1000.bin")["Body"].read())
# ... with the copy source's conditions: a part only when they hold.
upload_id = s3.create_multipart_upload(Bucket=BUCKET,
                                       Key="mp/cond.bin")["UploadId"]
expect_error("upload_part_copy if-none-match its ETag", "PreconditionFailed",
             lambda: s3.upload_part_copy(
                 Bucket=BUCKET, Key="mp/cond.bin", UploadId=upload_id,
                 PartNumber=1, CopySourceIfNoneMatch=ETAG,
                 CopySource={"Bucket": BUCKET, "Key": "rt/1000.bin"}))
expect_error("upload_part_copy if-unmodified-since before it",
             "PreconditionFailed", lambda: s3.upload_part_copy(
                 Bucket=BUCKET, Key="mp/cond.bin", UploadId=upload_id,
                 PartNumber=1, CopySourceIfUnmodifiedSince=before,
                 CopySource={"Bucket": BUCKET, "Key": "rt/1000.bin"}))
check("... and no part was made", not s3.list_parts(
    Bucket=BUCKET, Key="mp/cond.bin", UploadId=upload_id).get("Parts"))
copied = s3.upload_part_copy(
    Bucket=BUCKET, Key="mp/cond.bin", UploadId=upload_id, PartNumber=1,
    CopySourceIfMatch=ETAG, CopySourceIfModifiedSince=before,
    CopySource={"Bucket": BUCKET, "Key": "rt/1000.bin"})["CopyPartResult"]
complete("mp/cond.bin", upload_id, [(1, copied["ETag"])])
check("upload_part_copy if-match its ETag", s3.get_object(
    Bucket=BUCKET, Key="mp/cond.bin")["Body"].read() == s3.get_object(
        Bucket=BUCKET, Key="rt/1000.bin")["Body"].read())

# Presigned URLs (SigV4), used without boto3.
import urllib.error
import urllib.request

presigner = client(os.environ["GATEWAY_KEY_ID"], os.environ["GATEWAY_SECRET"],
                   signature_version="s3v4")
url = presigner.generate_presigned_url("get_object", Params={
    "Bucket": BUCKET, "Key": "range.bin"}, ExpiresIn=300)
check("presigned get", urllib.request.urlopen(url).read() == data)
# boto3's default in us-east-1: the older query signature (SigV2).
url = s3.generate_presigned_url("get_object", Params={
    "Bucket": BUCKET, "Key": "range.bin"}, ExpiresIn=300)
check("boto3's default presigned url is SigV2", "AWSAccessKeyId=" in url)
check("presigned get, SigV2", urllib.request.urlopen(url).read() == data)
tampered_url = url.replace("range.bin", "rt/1.bin")
try:
    urllib.request.urlopen(tampered_url).read()
    fail("a SigV2 url for another key is refused")
except urllib.error.HTTPError as e:
    check("a SigV2 url for another key is refused (%d)" % e.code,
          e.code == 403 and b"SignatureDoesNotMatch" in e.read())
url = presigner.generate_presigned_url("put_object", Params={
    "Bucket": BUCKET, "Key": "presigned/put"}, ExpiresIn=300)
# (A type of its own: urllib's default, a form, is what moto's server
# parses as a form and stores empty.)
request = urllib.request.Request(url, data=b"by url", method="PUT", headers={
    "Content-Type": "application/octet-stream"})
urllib.request.urlopen(request).read()
check("presigned put", s3.get_object(
    Bucket=BUCKET, Key="presigned/put")["Body"].read() == b"by url")

# Refusals, each with S3's code and nothing stored.
ro = client(os.environ["GATEWAY_RO_KEY_ID"], os.environ["GATEWAY_RO_SECRET"])
check("read-only key reads", ro.get_object(
    Bucket=BUCKET, Key="range.bin")["Body"].read() == data)
expect_error("read-only key writing", "AccessDenied",
             lambda: ro.put_object(Bucket=BUCKET, Key="ro/x", Body=b"x"))
expect_error("read-only key deleting", "AccessDenied",
             lambda: ro.delete_object(Bucket=BUCKET, Key="range.bin"))
scoped = client(os.environ["GATEWAY_SCOPED_KEY_ID"],
                os.environ["GATEWAY_SCOPED_SECRET"])
scoped.put_object(Bucket=BUCKET, Key="a/inside", Body=b"in")
ok("scoped key writes inside its prefix")
expect_error("scoped key reading outside", "AccessDenied",
             lambda: scoped.get_object(Bucket=BUCKET, Key="range.bin"))
expect_error("scoped key listing outside", "AccessDenied",
             lambda: scoped.list_objects_v2(Bucket=BUCKET, Prefix="b/"))
expect_error("scoped key starting an upload outside", "AccessDenied",
             lambda: scoped.create_multipart_upload(Bucket=BUCKET, Key="b/x"))
upload_id = scoped.create_multipart_upload(Bucket=BUCKET,
                                           Key="a/mp")["UploadId"]
expect_error("scoped key copying a part from outside", "AccessDenied",
             lambda: scoped.upload_part_copy(
                 Bucket=BUCKET, Key="a/mp", UploadId=upload_id, PartNumber=1,
                 CopySource={"Bucket": BUCKET, "Key": "range.bin"}))
etag = scoped.upload_part(Bucket=BUCKET, Key="a/mp", UploadId=upload_id,
                          PartNumber=1, Body=b"scoped part")["ETag"]
scoped.complete_multipart_upload(
    Bucket=BUCKET, Key="a/mp", UploadId=upload_id,
    MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
check("scoped key uploads in parts inside its prefix", scoped.get_object(
    Bucket=BUCKET, Key="a/mp")["Body"].read() == b"scoped part")
expect_error("read-only key starting an upload", "AccessDenied",
             lambda: ro.create_multipart_upload(Bucket=BUCKET, Key="ro/mp"))
expired = client(os.environ["GATEWAY_EXPIRED_KEY_ID"],
                 os.environ["GATEWAY_EXPIRED_SECRET"])
expect_error("expired key", "ExpiredToken",
             lambda: expired.get_object(Bucket=BUCKET, Key="range.bin"))
tampered = client(os.environ["GATEWAY_KEY_ID"],
                  os.environ["GATEWAY_SECRET"][:-1] + (
                      "A" if os.environ["GATEWAY_SECRET"][-1] != "A" else "B"))
expect_error("tampered secret", "SignatureDoesNotMatch",
             lambda: tampered.get_object(Bucket=BUCKET, Key="range.bin"))
expect_error("tampered secret writing", "SignatureDoesNotMatch",
             lambda: tampered.put_object(Bucket=BUCKET, Key="t/x", Body=b"x"))
key_id = os.environ["GATEWAY_KEY_ID"]
forged = client(key_id[:-2] + ("AA" if key_id[-2:] != "AA" else "BB"),
                os.environ["GATEWAY_SECRET"])
code = error_code(lambda: forged.get_object(Bucket=BUCKET, Key="range.bin"))
check("changed key id refused (%s)" % code,
      code in ("InvalidAccessKeyId", "SignatureDoesNotMatch"))
expect_error("unknown key id", "InvalidAccessKeyId",
             lambda: client("AKIAEXAMPLE", "secret").get_object(
                 Bucket=BUCKET, Key="range.bin"))
expect_error("not stored after refusals", "NoSuchKey",
             lambda: s3.get_object(Bucket=BUCKET, Key="t/x"))
expect_error("not stored after refusals (ro)", "NoSuchKey",
             lambda: s3.get_object(Bucket=BUCKET, Key="ro/x"))

finish()
