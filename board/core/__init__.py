"""The shared vocabulary: errors, clock, events, state, snapshot, texts. Imports nothing else of ours."""
