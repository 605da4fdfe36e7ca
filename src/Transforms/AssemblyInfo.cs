using System.Runtime.CompilerServices;

// The test suite checks internal building blocks (graph builder, networks, training loop) directly.
[assembly: InternalsVisibleTo("MlNetRnn.Tests")]
