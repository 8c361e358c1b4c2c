"""moto_fix/sitecustomize.py: moto 5.2's ListMultipartUploads says every
upload was initiated at 2010-11-10T20:48:33.000Z. S3 gives the real time,
which pail relies on to find the upload a lost CreateMultipartUpload answer
began (backends/s3/s3_write.c). With this directory on PYTHONPATH, a
moto_server process records when each upload begins and lists that time, as
S3 does; every other Python process is left alone. tests/s3_faults.sh puts
it on PYTHONPATH before starting moto.
"""
import os
import sys

if os.path.basename(sys.argv[0] if sys.argv else "") == "moto_server":
    try:
        import re
        import time

        from moto.s3 import models, responses

        CONSTANT = "2010-11-10T20:48:33.000Z"
        begun = {}  # upload id -> its initiation time, as S3 writes it
        original_init = models.FakeMultipart.__init__

        def init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            now = time.time()
            begun[self.id] = time.strftime("%Y-%m-%dT%H:%M:%S",
                                           time.gmtime(now)) + \
                ".%03dZ" % (int(now * 1000) % 1000)

        original_list = responses.S3Response.list_multipart_uploads

        def list_uploads(self):
            answer = original_list(self)
            status, headers, body = answer
            text = body.decode() if isinstance(body, bytes) else body

            def real(match):
                return match.group(0).replace(
                    CONSTANT, begun.get(match.group(1), CONSTANT))
            text = re.sub(r"<UploadId>([^<]*)</UploadId>.*?<Initiated>"
                          + re.escape(CONSTANT) + "</Initiated>", real, text,
                          flags=re.S)
            return status, headers, text.encode() if isinstance(body, bytes) else text

        models.FakeMultipart.__init__ = init
        responses.S3Response.list_multipart_uploads = list_uploads
    except Exception as error:  # a moto this does not know: say so, go on
        print(f"moto_fix: not applied: {error!r}", file=sys.stderr)
