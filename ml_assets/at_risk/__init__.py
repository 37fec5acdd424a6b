"""At-risk model: which students are likely to withdraw or fail, with reasons."""
