using System.Runtime.CompilerServices;

// The test suite checks internal building blocks (graph builder, networks, training loop) directly.
[assembly: InternalsVisibleTo("MlNetRnn.Tests")]

// Schema checks, dense batch readers and value checks serve our other assemblies; they are not part of the public API.
[assembly: InternalsVisibleTo("MlNetRnn.Onnx")]
[assembly: InternalsVisibleTo("MlNetRnn.Trainers")]
[assembly: InternalsVisibleTo("mlnet-rnn")]
[assembly: InternalsVisibleTo("MlNetRnn.Benchmarks")]
