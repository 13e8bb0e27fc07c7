Console.WriteLine("elide bench harness");
