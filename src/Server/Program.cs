Console.WriteLine("DittoFs");
