using System.Runtime.CompilerServices;

// The test suite checks internal building blocks (graph builder, networks, training loop) directly.
[assembly: InternalsVisibleTo("MlNetRnn.Tests")]
// The CLI's benchmark builds the TorchSharp twin of an exported graph (eager scoring baseline) and its raw-loop baselines.
[assembly: InternalsVisibleTo("mlnet-rnn")]
