"""The Textual study app. It only wires the headless services (study, snippets, store) to screens."""
