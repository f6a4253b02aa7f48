"""The cost guard: stops the pipeline taking new jobs when its budget forecast is crossed, and resumes it."""
