Console.WriteLine("elide");
