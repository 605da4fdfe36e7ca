using System.Runtime.CompilerServices;

// The test suite checks internal building blocks (graph builder, networks, training loop) directly.
[assembly: InternalsVisibleTo("MlNetRnn.Tests")]

// The trainers attach model-specific input checks (e.g. "positive" for log-transform models) to the batch scorer.
[assembly: InternalsVisibleTo("MlNetRnn.Trainers")]

// Our own assemblies share the atomic file writer and the language-model metadata reader without making them public API.
[assembly: InternalsVisibleTo("mlnet-rnn")]
[assembly: InternalsVisibleTo("MlNetRnn.Benchmarks")]
