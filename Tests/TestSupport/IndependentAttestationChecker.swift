import Foundation

/// Checks attestations with code nobody here wrote: Python's securesystemslib verifies the DSSE
/// signature (it computes PAE itself), the in-toto attestation bindings parse and validate the
/// statement and, strictly (unknown fields rejected), the SLSA provenance or VSA predicate, and
/// jsonschema checks the predicate against Docs/provenance.schema.json.
public enum IndependentAttestationChecker {
    public static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }  // Tests/TestSupport/<file>
        return url.path
    }()

    /// Exit 0 and `OK` when every check passes; exit 1 naming the first that fails.
    static let script = #"""
import base64, json, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.signer import SSlibKey
from securesystemslib.dsse import Envelope
from google.protobuf import json_format
from in_toto_attestation.v1 import statement, statement_pb2
from in_toto_attestation.predicates.provenance.v1 import provenance_pb2
from in_toto_attestation.predicates.vsa.v1 import vsa_pb2
import jsonschema

envelope_path, public_key_path, schema_path = sys.argv[1:4]
document = json.load(open(envelope_path))
public = load_pem_public_key(open(public_key_path, "rb").read())
scheme = "ed25519" if type(public).__name__.startswith("Ed25519") else "ecdsa-sha2-nistp256"
keyid = document["signatures"][0]["keyid"]
key = SSlibKey.from_crypto(public, keyid=keyid, scheme=scheme)
try:
    Envelope.from_dict(document).verify([key], 1)
except Exception as error:
    print("signature: " + repr(error)); sys.exit(1)
if document["payloadType"] != "application/vnd.in-toto+json":
    print("payloadType"); sys.exit(1)
payload = base64.b64decode(document["payload"])
try:
    parsed = statement.Statement.copy_from_pb(json_format.Parse(payload, statement_pb2.Statement()))
    parsed.validate()
except Exception as error:
    print("statement: " + repr(error)); sys.exit(1)
raw = json.loads(payload)
predicate = json.dumps(raw["predicate"])
try:
    if raw["predicateType"] == "https://slsa.dev/provenance/v1":
        json_format.Parse(predicate, provenance_pb2.Provenance())
        jsonschema.validate(raw["predicate"], json.load(open(schema_path)))
    elif raw["predicateType"] == "https://slsa.dev/verification_summary/v1":
        # The binding declares verifiedLevels a string where the VSA spec says an array
        # (in-toto/attestation#425, fixed by the open #429): check it as the spec says, then
        # hand the binding the one string it expects. Unknown fields (our findings, descriptor
        # names) are extensions the spec allows.
        vsa = raw["predicate"]
        levels = vsa.get("verifiedLevels")
        if not isinstance(levels, list) or not levels or not all(isinstance(level, str) for level in levels):
            print("predicate: verifiedLevels must be a non-empty array of strings"); sys.exit(1)
        if vsa.get("verificationResult") not in ("PASSED", "FAILED"):
            print("predicate: verificationResult"); sys.exit(1)
        adapted = dict(vsa, verifiedLevels=",".join(levels))
        json_format.Parse(json.dumps(adapted), vsa_pb2.VerificationSummary(), ignore_unknown_fields=True)
    else:
        print("unknown predicate type"); sys.exit(1)
except Exception as error:
    print("predicate: " + repr(error)); sys.exit(1)
print("OK")
"""#

    public static func check(envelope: String, publicKey: String) throws -> ToolOutput {
        try Tool.run(["python3", "-c", script, envelope, publicKey, repositoryRoot + "/Docs/provenance.schema.json"])
    }
}
