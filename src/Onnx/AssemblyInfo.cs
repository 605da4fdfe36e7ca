using System.Runtime.CompilerServices;

// The test suite checks internal building blocks (graph builder, networks, training loop) directly.
[assembly: InternalsVisibleTo("MlNetRnn.Tests")]

// The trainers attach model-specific input checks (e.g. "positive" for log-transform models) to the batch scorer.
[assembly: InternalsVisibleTo("MlNetRnn.Trainers")]
