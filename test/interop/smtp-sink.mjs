// An SMTP server (the smtp-server package of the Nodemailer project) on
// loopback that accepts every mail and prints it as one JSON line on stdout:
// {"ready": port} first, then {"mail": {"from", "to": [...], "raw"}}.
// It stops when stdin closes.
import { SMTPServer } from "smtp-server";

const server = new SMTPServer({
  secure: false,
  disabledCommands: ["STARTTLS", "AUTH"],
  size: 1 << 20,
  logger: false,
  onData(stream, session, callback) {
    const chunks = [];
    stream.on("data", (c) => chunks.push(c));
    stream.on("end", () => {
      const mail = {
        from: session.envelope.mailFrom && session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address),
        raw: Buffer.concat(chunks).toString("utf8"),
      };
      process.stdout.write(JSON.stringify({ mail }) + "\n");
      callback(stream.sizeExceeded ? new Error("too large") : null);
    });
  },
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ ready: server.server.address().port }) + "\n");
});
process.stdin.on("end", () => server.close(() => process.exit(0)));
process.stdin.resume();
