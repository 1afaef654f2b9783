"""Print the API's OpenAPI document as JSON, straight from the app factory (no server needed)."""

import json
import sys

from spojka.app import create_app


def main() -> None:
    schema = create_app().openapi_schema.to_schema()
    json.dump(schema, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
