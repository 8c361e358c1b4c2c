"""gateway_native.py: the S3 gateway's multipart uploads handed to the
storage's own mechanism (ABI 1.18 upload operations), seen from both sides.

Run by tests/gateway_backends.sh with two gateways over one workspace
(GATEWAY_ENDPOINT, GATEWAY2_ENDPOINT), keys minted by `pail credentials`
(GATEWAY_KEY_ID, GATEWAY_SECRET), the bucket (a storage of the workspace:
GATEWAY_BUCKET) and, to look behind the gateway, the storage itself:
NATIVE=s3 with MOTO_ENDPOINT, MOTO_BUCKET, MOTO_KEY_ID, MOTO_SECRET,
MOTO_REGION (moto_server), NATIVE=azure with what tests/azure_sdk.js
needs (NODE_PATH, AZURE_URL, AZURE_ACCOUNT, AZURE_KEY, AZURE_CONTAINER) to
read Azurite's uncommitted blocks, or NATIVE=gcs with GCS_URL, GCS_BUCKET
and the authorized_user that tests/gcs_fixture.py accepts (GCS_USER_CLIENT,
GCS_USER_SECRET, GCS_USER_REFRESH) to use its JSON API.

Checks: while an upload is open its parts are in the provider's upload
(S3: ListMultipartUploads and ListParts straight against moto; Azure: the
blob's uncommitted blocks, by the Azure SDK; GCS: the parts' hidden
objects, by the JSON API) and the gateway keeps only
small records under .pail_uploads/<id>/; parts sent out of order, one
replaced, one copied (UploadPartCopy), one refused for a bad Content-MD5
(nothing stored); Complete on the other gateway; the bytes by hash;
Complete's ETag equal to HEAD's, GET's and LIST's, through the gateway and
straight from the storage; Abort leaves no object and no record, and in
S3 no upload, in GCS no part (Azure cannot discard blocks before the
blob's next commit). GCS alone: the object is a composite of its parts,
none of them left; the fixture refuses a compose as GCS does (33 sources,
a missing source); 33 parts compose in a tree with the upload's metadata;
a part's object gone is InvalidPart at Complete.

Prints "ok: ..." per check and "FAIL: ..." per failure (as
tests/gateway_checks.py does); exits 1 on any failure. Prints "left
UPLOAD_ID NATIVE_ID" for an upload it leaves open, for the shell's
`pail cleanup` checks.
"""

import base64
import hashlib
import json
import os
import subprocess

import boto3
from botocore.config import Config

from gateway_checks import check, error_code, expect_error, finish

MIB = 1024 * 1024
BUCKET = os.environ["GATEWAY_BUCKET"]
NATIVE = os.environ["NATIVE"]
def gateway(endpoint):
    return boto3.client(
        "s3", endpoint_url=endpoint,
        aws_access_key_id=os.environ["GATEWAY_KEY_ID"],
        aws_secret_access_key=os.environ["GATEWAY_SECRET"],
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"},
                      retries={"max_attempts": 1}))


one = gateway(os.environ["GATEWAY_ENDPOINT"])
two = gateway(os.environ["GATEWAY2_ENDPOINT"])

if NATIVE == "s3":
    STORE_BUCKET = os.environ["MOTO_BUCKET"]
    store = boto3.client(
        "s3", endpoint_url=os.environ["MOTO_ENDPOINT"],
        aws_access_key_id=os.environ["MOTO_KEY_ID"],
        aws_secret_access_key=os.environ["MOTO_SECRET"],
        region_name=os.environ["MOTO_REGION"],
        config=Config(s3={"addressing_style": "path"}))

    def native_uploads(key):
        """The provider's uploads of key in progress: {upload id: [part
        numbers]}."""
        found = {}
        listed = store.list_multipart_uploads(Bucket=STORE_BUCKET, Prefix=key)
        for u in listed.get("Uploads", []):
            if u["Key"] == key:
                parts = store.list_parts(Bucket=STORE_BUCKET, Key=key,
                                         UploadId=u["UploadId"])
                found[u["UploadId"]] = [p["PartNumber"]
                                        for p in parts.get("Parts", [])]
        return found

    def staged(upload_id):
        """The gateway's objects of upload_id in the storage: {name: size}."""
        prefix = ".pail_uploads/%s/" % upload_id
        listed = store.list_objects_v2(Bucket=STORE_BUCKET, Prefix=prefix)
        return {o["Key"][len(prefix):]: o["Size"]
                for o in listed.get("Contents", [])}

    def store_etag(key):
        return store.head_object(Bucket=STORE_BUCKET, Key=key)["ETag"]
elif NATIVE == "gcs":
    import urllib.error
    import urllib.parse
    import urllib.request

    GCS_URL = os.environ["GCS_URL"]
    GCS_BUCKET = os.environ["GCS_BUCKET"]
    GCS_PARTS = ".pail_uploads/gcs-"

    def gcs_token():
        """A token of the fixture's authorized_user (its refresh grant)."""
        form = urllib.parse.urlencode({
            "grant_type": "refresh_token",
            "client_id": os.environ["GCS_USER_CLIENT"],
            "client_secret": os.environ["GCS_USER_SECRET"],
            "refresh_token": os.environ["GCS_USER_REFRESH"]}).encode()
        with urllib.request.urlopen(urllib.request.Request(
                GCS_URL + "/token", data=form, headers={
                    "Content-Type": "application/x-www-form-urlencoded"})) \
                as answer:
            return json.load(answer)["access_token"]

    GCS_TOKEN = gcs_token()

    def gcs(method, path, body=None, **query):
        """The JSON API straight: (status, answer as JSON or None)."""
        url = "%s/storage/v1/b/%s%s" % (GCS_URL, GCS_BUCKET, path)
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(
            url, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": "Bearer " + GCS_TOKEN,
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request) as answer:
                text = answer.read()
                return answer.status, json.loads(text) if text else None
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def gcs_name(name):
        return urllib.parse.quote(name, safe="")

    def gcs_objects(prefix):
        """The bucket's object resources under prefix."""
        items, token = [], None
        while True:
            query = {"prefix": prefix}
            if token:
                query["pageToken"] = token
            status, page = gcs("GET", "/o", **query)
            items += page.get("items", [])
            token = page.get("nextPageToken")
            if not token:
                return items

    def native_uploads(key):
        """GCS has no uploads: the parts of each upload of key are hidden
        objects .pail_uploads/gcs-<tag>-pNNNNN (their metadata names the
        key)."""
        found = {}
        for o in gcs_objects(GCS_PARTS):
            tag, _, rest = o["name"][len(GCS_PARTS):].partition("-")
            if (o.get("metadata") or {}).get("pail-upload-key") == key \
                    and rest.startswith("p"):
                found.setdefault(tag, []).append(int(rest[1:]))
        return {tag: sorted(numbers) for tag, numbers in found.items()}

    def staged(upload_id):
        prefix = ".pail_uploads/%s/" % upload_id
        return {o["name"][len(prefix):]: int(o["size"])
                for o in gcs_objects(prefix)}

    def store_etag(key):
        """pail's ETag of a GCS object is its generation."""
        return '"%s"' % gcs("GET", "/o/" + gcs_name(key))[1]["generation"]
else:
    def azure_sdk(*args):
        """tests/azure_sdk.js (the Azure SDK for JavaScript) on Azurite,
        its answer as JSON."""
        return json.loads(subprocess.run(
            ["node", os.path.join(os.path.dirname(__file__), "azure_sdk.js")]
            + list(args), check=True, capture_output=True).stdout)

    def native_uploads(key):
        """Azure has no uploads, only a blob's uncommitted blocks: the
        parts of each upload by the tag in their IDs ("pail-" + upload tag
        (8) + attempt tag (8) + "-" + part number)."""
        found = {}
        try:
            blocks = azure_sdk("block-ids", key)["uncommitted"]
        except subprocess.CalledProcessError:
            return found  # no blob, no blocks
        for name in blocks:
            raw = base64.b64decode(name).decode()
            found.setdefault(raw[5:13], set()).add(int(raw.split("-")[-1]))
        return {upload: sorted(numbers) for upload, numbers in found.items()}

    def staged(upload_id):
        prefix = ".pail_uploads/%s/" % upload_id
        return {name[len(prefix):]: size
                for name, size in azure_sdk("sizes", prefix).items()}

    def store_etag(key):
        return azure_sdk("props", key)["etag"]


# An object for UploadPartCopy to copy from.
source = os.urandom(MIB + 3)
one.put_object(Bucket=BUCKET, Key="native/source", Body=source)

key = "native/joined.bin"
upload_id = one.create_multipart_upload(
    Bucket=BUCKET, Key=key, ContentType="application/x-native",
    Metadata={"kind": "native"})["UploadId"]
part = {1: os.urandom(5 * MIB), 2: os.urandom(5 * MIB)}
etags = {}
for number in (2, 1):  # out of order, each to another gateway
    etags[number] = (one if number == 2 else two).upload_part(
        Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=number,
        Body=part[number])["ETag"]
part[2] = os.urandom(5 * MIB + 7)  # sent again: replaces the first
etags[2] = two.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id,
                           PartNumber=2, Body=part[2])["ETag"]
check("a part's ETag is its MD5, quoted",
      etags[2] == '"%s"' % hashlib.md5(part[2]).hexdigest())
copied = one.upload_part_copy(
    Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=3,
    CopySource={"Bucket": BUCKET, "Key": "native/source"},
    CopySourceRange="bytes=1-%d" % MIB)["CopyPartResult"]
part[3] = source[1:MIB + 1]
etags[3] = copied["ETag"]
check("a copied part's ETag is its MD5",
      etags[3] == '"%s"' % hashlib.md5(part[3]).hexdigest())

bad = os.urandom(MIB)
expect_error("a part whose Content-MD5 disagrees", "BadDigest",
             lambda: one.upload_part(
                 Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=4,
                 Body=bad, ContentMD5=base64.b64encode(
                     hashlib.md5(b"other").digest()).decode()))

uploads = native_uploads(key)
check("the open upload is the provider's own (%s)" % uploads,
      len(uploads) == 1 and list(uploads.values())[0][:3] == [1, 2, 3])
check("... without the refused part",
      all(4 not in numbers for numbers in uploads.values()))
objects = staged(upload_id)
check("the gateway keeps only records of the parts (%s)" % objects,
      sorted(objects) == ["part-00001", "part-00002", "part-00003", "upload"]
      and all(size < 1024 for size in objects.values()))
listed = two.list_parts(Bucket=BUCKET, Key=key, UploadId=upload_id)["Parts"]
check("list_parts on the other gateway",
      [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed] ==
      [(n, len(part[n]), etags[n]) for n in (1, 2, 3)])
expect_error("complete with the replaced part's first ETag", "InvalidPart",
             lambda: one.complete_multipart_upload(
                 Bucket=BUCKET, Key=key, UploadId=upload_id,
                 MultipartUpload={"Parts": [
                     {"PartNumber": 1, "ETag": etags[1]},
                     {"PartNumber": 2, "ETag": '"%s"' % hashlib.md5(
                         b"first").hexdigest()},
                     {"PartNumber": 3, "ETag": etags[3]}]}))

done = two.complete_multipart_upload(
    Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": n, "ETag": etags[n]} for n in (1, 2, 3)]})
got = one.get_object(Bucket=BUCKET, Key=key)
body = got["Body"].read()
check("completed on the other gateway: the bytes in order",
      hashlib.sha256(body).digest() ==
      hashlib.sha256(part[1] + part[2] + part[3]).digest())
check("... with the upload's type and metadata",
      got["ContentType"] == "application/x-native" and
      got["Metadata"] == {"kind": "native"})
head = two.head_object(Bucket=BUCKET, Key=key)
listing = [o for o in one.list_objects_v2(
    Bucket=BUCKET, Prefix="native/")["Contents"] if o["Key"] == key]
etag_view = (done["ETag"], got["ETag"], head["ETag"],
             listing[0].get("ETag"), store_etag(key))
check("Complete's ETag is HEAD's, GET's, LIST's and the storage's (%s)"
      % (etag_view,),
      len(set(etag_view)) == 1 and done["ETag"].startswith('"'))
check("nothing of the upload is left in the provider",
      native_uploads(key) == {})
check("... nor in the gateway's records", staged(upload_id) == {})
expect_error("a completed upload is gone", "NoSuchUpload",
             lambda: one.list_parts(Bucket=BUCKET, Key=key,
                                    UploadId=upload_id))

# UploadPartCopy from another storage (the fs primary) is read through
# the gateway; within the storage a range past the source's end is S3's
# InvalidRange.
key = "native/copies.bin"
one.put_object(Bucket="_default_", Key="native/elsewhere", Body=source)
upload_id = one.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
expect_error("a copied range past the source's end", "InvalidRange",
             lambda: one.upload_part_copy(
                 Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=1,
                 CopySource={"Bucket": BUCKET, "Key": "native/source"},
                 CopySourceRange="bytes=0-%d" % len(source)))
copied = one.upload_part_copy(
    Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=1,
    CopySource={"Bucket": "_default_", "Key": "native/elsewhere"})
two.complete_multipart_upload(
    Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"]}]})
check("a part copied from another storage",
      one.get_object(Bucket=BUCKET, Key=key)["Body"].read() == source)

# Abort: nothing left, on either side.
key = "native/aborted.bin"
upload_id = one.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
one.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=1,
                Body=os.urandom(MIB))
check("an upload to abort is open in the provider",
      len(native_uploads(key)) == 1)
two.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=upload_id)
if NATIVE in ("s3", "gcs"):
    check("abort leaves no upload in the provider", native_uploads(key) == {})
else:  # Azure cannot discard blocks: they stay uncommitted, never a blob
    check("abort commits nothing", len(native_uploads(key)) == 1)
check("... and no record", staged(upload_id) == {})
expect_error("... and no object", "NoSuchKey",
             lambda: one.get_object(Bucket=BUCKET, Key=key))

if NATIVE == "azure":
    # Azure's rule: committing a blob's blocks discards its other
    # uncommitted blocks, another upload's to the same key included.
    key = "native/twice.bin"
    first, second = (one.create_multipart_upload(Bucket=BUCKET, Key=key)[
        "UploadId"] for _ in range(2))
    etag_first, etag_second = (one.upload_part(
        Bucket=BUCKET, Key=key, UploadId=upload, PartNumber=1,
        Body=body)["ETag"] for upload, body in ((first, b"first"),
                                                (second, b"second")))
    one.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=first, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": etag_first}]})
    expect_error("a second upload of the key, its blocks discarded by the "
                 "first's Complete", "InvalidPart",
                 lambda: one.complete_multipart_upload(
                     Bucket=BUCKET, Key=key, UploadId=second,
                     MultipartUpload={"Parts": [
                         {"PartNumber": 1, "ETag": etag_second}]}))
    check("... which left the first's object", one.get_object(
        Bucket=BUCKET, Key=key)["Body"].read() == b"first")
    one.abort_multipart_upload(Bucket=BUCKET, Key=key, UploadId=second)

if NATIVE == "gcs":
    # Complete is GCS's compose of the parts' objects, which are gone
    # after it: the object is a composite (no MD5, its parts counted).
    resource = gcs("GET", "/o/" + gcs_name("native/joined.bin"))[1]
    check("the object is composed of its 3 parts (%s)" % resource,
          resource.get("componentCount") == 3 and "md5Hash" not in resource)
    check("no part's object is left in the bucket",
          gcs_objects(GCS_PARTS) == [])

    # The fixture refuses what GCS refuses, so that the backend is held
    # to it: more than 32 sources, a source that is not there.
    one.put_object(Bucket=BUCKET, Key="native/one", Body=b"x")
    generation = gcs("GET", "/o/" + gcs_name("native/one"))[1]["generation"]
    status, answer = gcs("POST", "/o/" + gcs_name("native/many") + "/compose",
                         {"sourceObjects": [{"name": "native/one"}] * 33,
                          "destination": {"contentType": "text/plain"}})
    check("GCS composes at most 32 sources (%s)" % status, status == 400)
    status, answer = gcs("POST", "/o/" + gcs_name("native/many") + "/compose",
                         {"sourceObjects": [{"name": "native/none"}]})
    check("a missing source is 404 (%s)" % status, status == 404)
    status, answer = gcs("POST", "/o/" + gcs_name("native/many") + "/compose",
                         {"sourceObjects": [{"name": "native/one",
                                             "generation": "1"}]})
    check("... and one not at its generation (%s)" % status, status == 404)
    status, answer = gcs("POST", "/o/" + gcs_name("native/many") + "/compose",
                         {"sourceObjects": [{"name": "native/one",
                                             "generation": generation}] * 32,
                          "destination": {"contentType": "text/plain",
                                          "metadata": {"a": "b"}}},
                         ifGenerationMatch="0")
    check("32 sources compose, with the destination's resource (%s)"
          % answer, status == 200 and answer["size"] == "32" and
          answer["componentCount"] == 32 and
          answer["contentType"] == "text/plain" and
          answer["metadata"] == {"a": "b"})
    status, answer = gcs("POST", "/o/" + gcs_name("native/many") + "/compose",
                         {"sourceObjects": [{"name": "native/one"}]},
                         ifGenerationMatch="0")
    check("a create-only compose onto an object is 412 (%s)" % status,
          status == 412)

    # More than 32 parts: composed in a tree, 32 at a time.
    key = "native/tree.bin"
    upload_id = one.create_multipart_upload(
        Bucket=BUCKET, Key=key, ContentDisposition="attachment",
        Metadata={"tree": "yes"})["UploadId"]
    count = 33
    pieces = {n: os.urandom(5 * MIB if n < count else 11)
              for n in range(1, count + 1)}
    etags = {}
    for n in sorted(pieces, reverse=True):  # last first
        etags[n] = (one if n % 2 else two).upload_part(
            Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=n,
            Body=pieces[n])["ETag"]
    # A part whose object vanished (behind the gateway's back) fails
    # Complete as S3 says, and leaves the upload to complete again.
    lost = "%s%s-p00007" % (GCS_PARTS, list(native_uploads(key))[0])
    gcs("DELETE", "/o/" + gcs_name(lost))
    expect_error("complete with a part's object gone", "InvalidPart",
                 lambda: two.complete_multipart_upload(
                     Bucket=BUCKET, Key=key, UploadId=upload_id,
                     MultipartUpload={"Parts": [
                         {"PartNumber": n, "ETag": etags[n]}
                         for n in sorted(pieces)]}))
    check("... and makes no object", error_code(
        lambda: one.head_object(Bucket=BUCKET, Key=key)) in ("404",
                                                             "NoSuchKey"))
    etags[7] = one.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id,
                               PartNumber=7, Body=pieces[7])["ETag"]
    done = two.complete_multipart_upload(
        Bucket=BUCKET, Key=key, UploadId=upload_id, MultipartUpload={
            "Parts": [{"PartNumber": n, "ETag": etags[n]}
                      for n in sorted(pieces)]})
    got = one.get_object(Bucket=BUCKET, Key=key)
    check("33 parts composed in a tree: the bytes in order",
          hashlib.sha256(got["Body"].read()).digest() == hashlib.sha256(
              b"".join(pieces[n] for n in sorted(pieces))).digest())
    check("... with the upload's disposition and metadata",
          got["ContentDisposition"] == "attachment" and
          got["Metadata"] == {"tree": "yes"})
    resource = gcs("GET", "/o/" + gcs_name(key))[1]
    check("... of 33 components (%s)" % resource.get("componentCount"),
          resource.get("componentCount") == 33)
    check("... whose ETag HEAD shows too",
          done["ETag"] == one.head_object(Bucket=BUCKET, Key=key)["ETag"]
          == store_etag(key))
    check("... and nothing of it stays hidden in the bucket (%s)"
          % [o["name"] for o in gcs_objects(".pail_uploads/")],
          gcs_objects(".pail_uploads/") == [])

# Left open, for the shell's pail cleanup.
key = "native/left.bin"
upload_id = one.create_multipart_upload(Bucket=BUCKET, Key=key)["UploadId"]
one.upload_part(Bucket=BUCKET, Key=key, UploadId=upload_id, PartNumber=1,
                Body=b"left")
left = native_uploads(key)
check("an upload is left open", len(left) == 1)
print("left %s %s" % (upload_id, list(left)[0] if left else "-"))

finish()
