import * as fs from "fs";

const input: Buffer = fs.readFileSync(0);
process.stdout.write(input);
