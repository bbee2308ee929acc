/// The examples and exit statuses every command's `--help` ends with (and the man page, which
/// is generated from the same configurations), kept together so they read as one manual.
enum CommandHelp {
    /// The exit statuses shared by commands that only succeed or fail.
    static let plainExitStatus = "Exit status: 0 on success; 1 when the command failed (the message says why); "
        + "64 for a usage error (unknown flag, bad value)."

    static let examples: [String: [String]] = [
        "reprise": [
            "reprise build -t app:1 -o type=oci,dest=app.tar .",
            "reprise verify --runs 2 --vary all .",
            "reprise diff app:1 app:2",
        ],
        "journal": ["reprise journal ls", "reprise journal show app:1 --logs", "reprise journal gc"],
        "journal ls": ["reprise journal ls", "reprise journal ls -q | head -1", "reprise journal ls --json"],
        "journal show": ["reprise journal show 1a22d6", "reprise journal show app:1 --logs", "reprise journal show app:1 --json"],
        "journal fsck": ["reprise journal fsck", "reprise journal fsck --deep", "REPRISE_JOURNAL=/srv/journal reprise journal fsck"],
        "journal gc": ["reprise image rm old:1 && reprise journal gc"],
        "journal export": ["reprise journal export app:1 -o app-build.tar"],
        "journal import": ["reprise journal import app-build.tar && reprise replay <printed id>"],
        "journal ingest": ["reprise journal ingest Dockerfile go.sum"],
        "journal reindex": ["reprise journal reindex"],
        "journal fetches": ["reprise journal fetches app:1", "reprise journal fetches 1a22d6 --dns --json"],
        "journal push": ["reprise journal push app:1 registry.example:5000/app-builds:1"],
        "journal pull": [
            "reprise journal pull registry.example:5000/app-builds:1",
            "reprise journal pull registry.example:5000/app:1   # the newest bundle referring to the image",
        ],
        "journal rm": ["reprise journal rm 1a22d6 app:old && reprise journal gc"],
        "image": ["reprise image import busybox.tar --name busybox", "reprise image ls", "reprise image export app:1 -o app.tar"],
        "image import": [
            "reprise image import ./layout --name busybox:1.36",
            "reprise image import ./layout        # named after the layout's ref name",
            "reprise image import rootfs.tar --name base",
        ],
        "image ls": ["reprise image ls"],
        "image tag": ["reprise image tag app:1 app:stable"],
        "image rm": ["reprise image rm app:old app:older"],
        "image export": ["reprise image export app:1 -o app.tar", "reprise image export app:1 -o ./layout-dir"],
        "image pull": [
            "reprise image pull registry.example:5000/library/busybox:1.36 --name busybox",
            "reprise image pull localhost:5000/app@sha256:<digest> --platform linux/amd64",
        ],
        "image push": ["reprise image push app:1 registry.example:5000/team/app:1",
                       "reprise image push --insecure-registry localhost:5000 app:1 localhost:5000/app:1"],
        "replay": [
            "reprise replay app:1",
            "reprise replay 1a22d6 --vary time,hostname --json",
            "reprise replay app:1 --from-step 4",
        ],
        "verify": ["reprise verify .", "reprise verify --runs 3 --vary all -t app:1 .", "reprise verify --json . > verdict.json"],
        "diff": [
            "reprise diff app:1 app:2",
            "reprise diff 1a22d6 1a22d7 --ignore timestamp --html report.html",
            "reprise diff oci-layout://./a oci-layout://./b --json",
        ],
        "attest": ["reprise key generate -o signing", "reprise attest create app:1 --key signing -o app.intoto.jsonl"],
        "attest create": ["reprise attest create app:1 -o provenance.json",
                          "reprise attest create app:1 --mode max --key signing -o app.intoto.jsonl"],
        "attest verify": ["reprise attest verify app.intoto.jsonl --key signing.pub --image app.tar"],
        "attest rebuild": ["reprise attest rebuild app.intoto.jsonl --key signing.pub --vsa vsa.json --vsa-key verifier"],
        "key": ["reprise key generate -o signing"],
        "key generate": ["reprise key generate -o signing --algorithm ed25519"],
        "bisect": [
            "reprise bisect --good app:1 --bad app:2",
            "reprise bisect --git . --good v1.0 --bad main --file /app/bin/server",
        ],
        "bisect run": [
            "reprise bisect run --good 1a22d6 --bad 1a22d7 --differs",
            "reprise bisect run --good app:1 --bad app:2 --run 'test -x /usr/bin/app'",
            "reprise bisect run --git . --good v1.0 --bad main --fails --bisect-inputs",
            "reprise bisect run --good app:1 --bad app:2 --resume",
        ],
        "bisect log": ["reprise bisect log", "reprise bisect log bisect-1a22e0 --json"],
        "run": [
            "reprise run app:1",
            "reprise run app:1 sh -c 'ls -l /app'",
            "reprise run -e LANG=C.UTF-8 --network host app:1 /app/bin/selftest",
        ],
    ]

    /// Commands whose own exit status is the point (`run` passes the command's on).
    static let runExitStatus = "Exit status: the command's own exit status (128+N when signal N ended it); "
        + "1 when reprise could not run it (the message says why); 64 for a usage error."
    static let bisectExitStatus = "Exit status: 0 when a culprit was named (or the log was shown); 2 on error "
        + "(unknown build, bad predicate, probes that could not be judged)."

    /// `discussion:` for the command at `path` ("journal ls"): its examples, then `exitStatus`.
    static func discussion(_ path: String, exitStatus: String = plainExitStatus, extra: String? = nil) -> String {
        var text = extra.map { $0 + "\n\n" } ?? ""
        if let list = examples[path], !list.isEmpty {
            text += "Examples:\n" + list.map { "  " + $0 }.joined(separator: "\n") + "\n\n"
        }
        return text + exitStatus
    }
}
